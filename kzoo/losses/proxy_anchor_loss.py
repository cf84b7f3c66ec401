"""Proxy-Anchor loss on the similarities returned by `kzoo.heads.ProxyAnchor`."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses.pair_loss import check_real
from kzoo.ops.label_masks import flatten_labels
from kzoo.ops.masked_logsumexp import masked_logsumexp


@keras.saving.register_keras_serializable(package="kzoo")
class ProxyAnchorLoss(keras.losses.Loss):
    """Proxy-Anchor loss: `y_true` integer labels, `y_pred` cosine similarities to the proxies.

    With `P⁺` the proxies that have a positive in the batch and C the number of classes:
    `1/|P⁺| Σ_{p∈P⁺} log(1 + Σ_{x: y=p} exp(-α(s(x,p) - δ)))
    + 1/C Σ_p log(1 + Σ_{x: y≠p} exp(α(s(x,p) + δ)))`. With `kzoo.heads.ProxyAnchor`
    producing `y_pred` this is PyTorch Metric Learning's `ProxyAnchorLoss`. Labels outside
    `[0, C)` make the loss NaN.

    Args:
        margin: δ. Default 0.1.
        alpha: the scale α > 0. Default 32.
        name, reduction, dtype: as `keras.losses.Loss` (the loss is already a scalar).

    Example:
    >>> similarities = kzoo.heads.ProxyAnchor(num_classes=100)(embeddings)
    >>> loss = kzoo.losses.ProxyAnchorLoss(margin=0.1, alpha=32)(labels, similarities)

    Reference: Kim, Kim, Cho, Kwak, "Proxy Anchor Loss for Deep Metric Learning", CVPR 2020.
    """

    def __init__(
        self,
        margin: float = 0.1,
        alpha: float = 32.0,
        name: str | None = "proxy_anchor_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.margin = check_real("margin", margin)
        self.alpha = check_real("alpha", alpha, 0.0, strict=True)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        similarities = ops.cast(ops.convert_to_tensor(y_pred), "float32")
        if len(similarities.shape) != 2:
            raise ValueError(
                "y_pred must be (batch, num_classes) similarities, "
                f"got shape {tuple(similarities.shape)}."
            )
        labels = flatten_labels(ops.convert_to_tensor(y_true))
        if labels.shape[0] is not None and similarities.shape[0] is not None:
            if labels.shape[0] != similarities.shape[0]:
                raise ValueError(
                    f"y_true has {labels.shape[0]} labels but y_pred has "
                    f"{similarities.shape[0]} rows."
                )
        num_classes = similarities.shape[-1]
        labels = ops.cast(labels, "int32")
        valid = ops.all(ops.logical_and(labels >= 0, labels < num_classes))
        positives = ops.one_hot(ops.clip(labels, 0, num_classes - 1), num_classes, dtype="bool")
        negatives = ops.logical_not(positives)
        pos_term = masked_logsumexp(
            -self.alpha * (similarities - self.margin), positives, axis=0, add_one=True
        )
        neg_term = masked_logsumexp(
            self.alpha * (similarities + self.margin), negatives, axis=0, add_one=True
        )
        with_pos = ops.sum(ops.cast(ops.any(positives, axis=0), "float32"))
        pos_loss = ops.where(with_pos > 0, ops.sum(pos_term) / ops.maximum(with_pos, 1.0), 0.0)
        loss = pos_loss + ops.sum(neg_term) / num_classes
        return ops.where(valid, loss, float("nan"))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin, "alpha": self.alpha}
