from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses._base import check_number


@keras.saving.register_keras_serializable(package="kzoo")
class ContrastiveLoss(keras.losses.Loss):
    """Contrastive loss on precomputed pair distances, as TF-Addons' `ContrastiveLoss`.

    `loss_i = y_i d_i^2 + (1 - y_i) max(margin - d_i, 0)^2`, where `y_true` is 1 for a
    similar pair and 0 for a dissimilar one and `y_pred` is the distance of the pair
    (e.g. `keras.ops.norm(a - b, axis=1)`). Per-pair losses are reduced by `reduction`.
    For the batch form on embeddings with integer class labels, see
    `EmbeddingContrastiveLoss`.

    Args:
        margin: margin for dissimilar pairs. Default 1.0.
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> loss = kzoo.losses.ContrastiveLoss(margin=1.0)
    >>> loss([0, 1], [0.3, 0.2])   # (0.7^2 + 0.2^2) / 2

    Reference: Hadsell, Chopra, LeCun, "Dimensionality Reduction by Learning an Invariant
    Mapping", CVPR 2006.
    """

    def __init__(
        self,
        margin: float = 1.0,
        name: str | None = "contrastive_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.margin = check_number("margin", margin)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if len(y_pred.shape) > 2 or (len(y_pred.shape) == 2 and y_pred.shape[1] != 1):
            raise ValueError(
                "y_pred must hold one distance per pair, shape (batch,) or (batch, 1), "
                f"got {tuple(y_pred.shape)}."
            )
        y_pred = ops.reshape(y_pred, (-1,))
        y_true = ops.cast(ops.reshape(y_true, (-1,)), y_pred.dtype)
        return y_true * ops.square(y_pred) + (1.0 - y_true) * ops.square(
            ops.maximum(self.margin - y_pred, 0.0)
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin}
