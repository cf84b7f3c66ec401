from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.utils.validation import Shown, check_batch, check_non_negative, concrete, fail, nan_unless


def contrastive_loss(y_true: Any, y_pred: Any, margin: float = 1.0) -> Any:
    """TF-Addons' `tfa.losses.contrastive_loss`: per-pair losses, shape `(batch,)`.

    `loss_i = y_i d_i^2 + (1 - y_i) max(margin - d_i, 0)^2` with `y_i` in {0, 1} (1 for a
    similar pair) and `d_i` the distance of pair i. Labels outside {0, 1} raise a
    `ValueError` when they are concrete; in a compiled step they make the losses NaN.
    """
    margin = check_non_negative("margin", margin)
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_pred.shape) > 2 or (len(y_pred.shape) == 2 and y_pred.shape[1] != 1):
        fail(
            "y_pred",
            "one distance per pair, shape (batch,) or (batch, 1)",
            Shown(f"<shape {tuple(y_pred.shape)}>"),
        )
    y_true = ops.convert_to_tensor(y_true)
    if len(y_true.shape) > 2 or (len(y_true.shape) == 2 and y_true.shape[1] != 1):
        fail(
            "y_true",
            "one 0/1 label per pair, shape (batch,) or (batch, 1)",
            Shown(f"<shape {tuple(y_true.shape)}>"),
        )
    y_pred = ops.reshape(y_pred, (-1,))
    y_true = ops.reshape(y_true, (-1,))
    check_batch("y_true", y_true.shape[0], "y_pred", y_pred.shape[0])
    values = concrete(y_true)
    valid = None
    if values is not None:
        if values.size and not bool(((values == 0) | (values == 1)).all()):
            fail(
                "y_true",
                "0 (dissimilar) or 1 (similar) for every pair",
                sorted(set(values.ravel().tolist()) - {0, 1})[:4],
            )
    else:
        valid = ops.all(ops.logical_or(ops.equal(y_true, 0), ops.equal(y_true, 1)))
    y_true = ops.cast(y_true, y_pred.dtype)
    losses = y_true * ops.square(y_pred) + (1.0 - y_true) * ops.square(
        ops.maximum(margin - y_pred, 0.0)
    )
    return nan_unless(valid, losses)


@keras.saving.register_keras_serializable(package="kzoo")
class ContrastiveLoss(keras.losses.Loss):
    """Contrastive loss on precomputed pair distances, as TF-Addons' `ContrastiveLoss`.

    `loss_i = y_i d_i^2 + (1 - y_i) max(margin - d_i, 0)^2`, where `y_true` is 1 for a
    similar pair and 0 for a dissimilar one and `y_pred` is the distance of the pair
    (e.g. `keras.ops.norm(a - b, axis=1)`). Per-pair losses are reduced by `reduction`.
    Same constructor and defaults as `tfa.losses.ContrastiveLoss` 0.23. For the batch form
    on embeddings with integer class labels, see `EmbeddingContrastiveLoss`.

    Args:
        margin: margin for dissimilar pairs, >= 0. Default 1.0.
        reduction: as `keras.losses.Loss`. Default "sum_over_batch_size".
        name: name of the loss. Default "contrastive_loss".
        **kwargs: `dtype` of `keras.losses.Loss`.

    Example:
    >>> loss = kzoo.losses.ContrastiveLoss(margin=1.0)
    >>> loss([0, 1], [0.3, 0.2])   # (0.7^2 + 0.2^2) / 2

    Reference: Hadsell, Chopra, LeCun, "Dimensionality Reduction by Learning an Invariant
    Mapping", CVPR 2006.
    """

    def __init__(
        self,
        margin: float = 1.0,
        reduction: str = "sum_over_batch_size",
        name: str | None = "contrastive_loss",
        **kwargs: Any,
    ):
        super().__init__(name=name, reduction=reduction, **kwargs)
        self.margin = check_non_negative("margin", margin)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return contrastive_loss(y_true, y_pred, self.margin)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin}
