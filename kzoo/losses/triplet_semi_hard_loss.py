from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from keras import ops

from kzoo.losses._base import propagate_nan
from kzoo.losses._tfa import TFALoss, tfa_loss
from kzoo.miners.triplet_miners import (
    max_label_count,
    positive_columns,
    semihard_negatives,
    semihard_negatives_of,
)
from kzoo.ops.label_masks import positive_mask
from kzoo.ops.masked_reductions import divide_no_nan
from kzoo.utils.validation import check_non_negative, concrete

# Largest classes handled by gathering positives (cost O(B^2 K)); bigger ones sort each row.
_GATHER_WIDTHS = (4, 16)


def triplet_semihard_loss_from_distances(labels: Any, distances: Any, margin: float = 1.0) -> Any:
    """TF-Addons 0.23's semi-hard triplet loss on a precomputed `(B, B)` distance matrix.

    For every positive pair `(a, p)`: `max(margin + (d(a, p) - d(a, n*)), 0)` with `n*` the
    closest negative farther than `p` (the farthest negative when none is), averaged over
    positive pairs (0 if there are none; TF-Addons returns NaN there). Only the positive
    pairs are mined: with classes of at most 16 samples, each anchor's positives are
    gathered (`O(B^2 K)`), otherwise every row is sorted (`O(B^2 log B)`).
    """
    labels = ops.reshape(labels, (-1,))
    return propagate_nan(_semihard(labels, distances, margin), distances)


def _semihard(labels: Any, distances: Any, margin: float) -> Any:
    static_b = distances.shape[0]
    widths = [w for w in _GATHER_WIDTHS if static_b is None or w < static_b]

    def gathered(width: int) -> Any:
        columns, valid = positive_columns(labels, width)
        valid = ops.cast(valid, distances.dtype)
        d_ap = ops.take_along_axis(distances, columns, axis=1)
        negatives = semihard_negatives_of(distances, labels, columns)
        loss = ops.maximum((margin + (d_ap - negatives)) * valid, 0.0)
        return divide_no_nan(ops.sum(loss), ops.sum(valid))

    def full() -> Any:
        pos = ops.cast(positive_mask(labels), distances.dtype)
        negatives = semihard_negatives(distances, labels)
        loss = ops.maximum((margin + (distances - negatives)) * pos, 0.0)
        return divide_no_nan(ops.sum(loss), ops.sum(pos))

    if not widths:
        return full()
    values = concrete(labels)
    if values is not None:  # eager: pick the branch here rather than tracing all of them
        count = int(np.unique(values, return_counts=True)[1].max()) if values.size else 0
        width = next((w for w in widths if count <= w), None)
        return full() if width is None else gathered(width)
    largest = max_label_count(labels)
    result = full
    for width in reversed(widths):
        result = _branch(ops.less_equal(largest, width), width, gathered, result)
    return result()


def _branch(pred: Any, width: int, gathered: Callable, otherwise: Callable) -> Callable:
    return lambda: ops.cond(pred, lambda: gathered(width), otherwise)


def triplet_semihard_loss(
    y_true: Any, y_pred: Any, margin: float = 1.0, distance_metric: str | Callable = "L2"
) -> Any:
    """TF-Addons' `tfa.losses.triplet_semihard_loss`, same signature and defaults.

    Args:
        y_true: integer labels `(B,)`.
        y_pred: embeddings `(B, D)` (float16/bfloat16 computed in float32 and cast back).
        margin: margin of the hinge.
        distance_metric: "L2" (Euclidean, default), "squared-L2", "angular" or a callable
            `(B, D) -> (B, B)`.

    Returns:
        scalar loss in the dtype of `y_pred`.
    """
    margin = check_non_negative("margin", margin)
    return tfa_loss(
        y_true,
        y_pred,
        distance_metric,
        lambda labels, d: triplet_semihard_loss_from_distances(labels, d, margin),
    )


@keras.saving.register_keras_serializable(package="kzoo")
class TripletSemiHardLoss(TFALoss):
    """Triplet loss with semi-hard negative mining over the batch (FaceNet), as TF-Addons.

    For every positive pair (a, p) the negative is the closest one farther than p
    (`d(a, n) > d(a, p)`), or the farthest negative when none is; the hinge
    `max(margin + d(a, p) - d(a, n), 0)` is averaged over the positive pairs. Same
    constructor, defaults and values as `tfa.losses.TripletSemiHardLoss` 0.23 (tested
    against a NumPy port of its code), except that a batch with no positive pair gives 0
    rather than NaN. `y_true` holds integer labels `(B,)`, `y_pred` embeddings `(B, D)`.

    Args:
        margin: margin of the hinge, >= 0. Default 1.0.
        distance_metric: "L2" (Euclidean, default), "squared-L2", "angular" or a callable
            mapping the `(B, D)` embeddings to a `(B, B)` distance matrix.
        name: name of the loss.
        **kwargs: `reduction`, `dtype` of `keras.losses.Loss`.

    Example:
    >>> model.compile(optimizer="adam", loss=kzoo.losses.TripletSemiHardLoss(margin=1.0))

    Reference: Schroff, Kalenichenko, Philbin, "FaceNet: A Unified Embedding for Face
    Recognition and Clustering", CVPR 2015.
    """

    def __init__(
        self,
        margin: float = 1.0,
        distance_metric: str | Callable = "L2",
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(distance_metric, name, kwargs)
        self.margin = check_non_negative("margin", margin)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return triplet_semihard_loss(y_true, y_pred, self.margin, self.distance_metric)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin}
