"""Base of the proxy heads: class weights in PyTorch Metric Learning's layout."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.heads.margin_head import MarginHead, split_head_inputs


@keras.saving.register_keras_serializable(package="kzoo")
class ProxyHead(MarginHead):
    """A head whose class weights are proxies `(num_classes, embedding_dim)`, PML's `proxies`.

    Called as `head([embeddings, labels])` or `head(embeddings)`; subclasses implement
    `proxy_logits(embeddings, one_hot, training)` (`one_hot` is None without labels). Labels are
    checked as in `MarginHead` (out-of-range labels raise eagerly, give NaN rows in graphs).

    Args:
        num_classes: number of classes.
        kernel_initializer: initializer of the proxies.
        **kwargs: `MarginHead` arguments.
    """

    def __init__(self, num_classes: int, **kwargs: Any) -> None:
        super().__init__(num_classes, **kwargs)
        reject_partial_fc(self)

    def kernel_shape(self, embedding_dim: int) -> tuple[int, int]:
        return (self.num_classes, embedding_dim)

    @property
    def proxies(self) -> Any:
        """The class weights (the same variable as `kernel`)."""
        return self.kernel

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        embeddings, labels = split_head_inputs(inputs)
        embeddings = ops.cast(embeddings, "float32")
        one_hot, valid = None, None
        if labels is not None:
            labels, valid = self._check_labels(labels, embeddings)
            one_hot = ops.one_hot(labels, self.num_classes, dtype="float32")
        logits = self.proxy_logits(embeddings, one_hot, training=training)
        if valid is not None:
            logits = ops.where(ops.expand_dims(valid, -1), logits, float("nan"))
        return ops.cast(logits, self.compute_dtype)

    def proxy_logits(self, embeddings: Any, one_hot: Any, training: bool | None = None) -> Any:
        raise NotImplementedError


def reject_partial_fc(head: Any) -> None:
    """These heads have no Partial FC path: `sample_rate` (when MarginHead has it) must be 1."""
    if getattr(head, "sample_rate", 1.0) != 1.0:
        raise ValueError(
            f"{type(head).__name__} does not support `sample_rate` < 1 (Partial FC). "
            f"Received: sample_rate={head.sample_rate!r}"
        )
