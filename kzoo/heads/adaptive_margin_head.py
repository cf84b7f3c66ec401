"""Base of the heads whose margin depends on the batch: feature norms, running statistics."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.heads.margin_head import split_head_inputs
from kzoo.heads.norm_face import NormFace
from kzoo.heads.proxy_head import reject_partial_fc


@keras.saving.register_keras_serializable(package="kzoo")
class AdaptiveMarginHead(NormFace):
    """A `NormFace` whose training logits see the whole batch (embeddings, all cosines).

    `head(embeddings)` gives `s · cos θ_j` (margin-free inference logits). `head([embeddings,
    labels])` calls `margin_logits(embeddings, cosine, one_hot, training)`, which returns the
    cosine-space logits of the batch, then scales them by s. Running statistics are updated
    only when `training` is True (in `fit`, or `head(..., training=True)`), as BatchNorm's.

    Args:
        num_classes: number of classes.
        scale: the scale s > 0.
        **kwargs: `NormFace` arguments.
    """

    def __init__(self, num_classes: int, **kwargs: Any) -> None:
        super().__init__(num_classes, **kwargs)
        reject_partial_fc(self)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        embeddings, labels = split_head_inputs(inputs)
        embeddings = ops.cast(embeddings, "float32")
        kernel = ops.cast(self.kernel, "float32")
        cosine = self.cosine(embeddings, kernel)
        if labels is None:
            return ops.cast(self.scale_logits(cosine, embeddings, kernel), self.compute_dtype)
        labels, valid = self._check_labels(labels, embeddings)
        one_hot = ops.one_hot(labels, self.num_classes, dtype="float32")
        margined = self.margin_logits(embeddings, cosine, one_hot, training=training)
        logits = self.scale_logits(margined, embeddings, kernel)
        if valid is not None:
            logits = ops.where(ops.expand_dims(valid, -1), logits, float("nan"))
        return ops.cast(logits, self.compute_dtype)

    def margin_logits(
        self, embeddings: Any, cosine: Any, one_hot: Any, training: bool | None = None
    ) -> Any:
        raise NotImplementedError

    @staticmethod
    def updates_statistics(training: bool | None) -> bool:
        return bool(training)
