from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses._base import MetricLoss, propagate_nan
from kzoo.miners.triplet_miners import TRIPLET_TYPES, triplet_margin_mask, triplet_margins
from kzoo.ops.label_masks import triplet_mask
from kzoo.ops.masked_reductions import masked_mean
from kzoo.utils.validation import check_float


def triplet_batch_all_loss(
    labels: Any,
    distances: Any,
    margin: float = 0.05,
    smooth: bool = False,
    mask: Any = None,
    average_nonzero: bool = True,
) -> Any:
    """Triplet hinge over every valid (or every masked) triplet of the batch."""
    mask = triplet_mask(labels) if mask is None else mask
    violation = margin - triplet_margins(distances)
    losses = ops.softplus(violation) if smooth else ops.maximum(violation, 0.0)
    keep = ops.logical_and(mask, ops.greater(losses, 0.0)) if average_nonzero else mask
    return propagate_nan(masked_mean(losses, keep), distances)


@keras.saving.register_keras_serializable(package="kzoo")
class TripletBatchAllLoss(MetricLoss):
    """Batch-all triplet loss, optionally on mined triplets (PyTorch Metric Learning semantics).

    Every (a, p, n) with `y_a = y_p != y_n`, `a != p` contributes
    `max(d(a, p) - d(a, n) + margin, 0)` (softplus with `smooth=True`); the result is the
    mean over the non-zero terms (PML's `AvgNonZeroReducer`), 0 when there are none. With
    `miner` the triplets are first filtered as PML's `TripletMarginMiner(miner_margin,
    type_of_triplets=miner)` does, so `TripletBatchAllLoss(margin, miner="semihard")`
    equals PML's `TripletMarginLoss(margin)` with a semi-hard `TripletMarginMiner`.
    Memory is O(B^3).

    Args:
        margin: hinge margin. Default 0.05 (PML's).
        distance: "l2" (default), "squared_l2" or "angular".
        miner: None (all triplets), "all", "hard", "semihard" or "easy".
        miner_margin: the miner's margin. Default 0.2 (PML's).
        smooth: softplus instead of the hinge.
        average_nonzero: average over non-zero terms (True) or all selected triplets.
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> loss = kzoo.losses.TripletBatchAllLoss(margin=0.1, miner="semihard")

    Reference: Hermans, Beyer, Leibe, "In Defense of the Triplet Loss for Person
    Re-Identification", 2017 (batch all); Schroff et al., FaceNet, CVPR 2015.
    """

    def __init__(
        self,
        margin: float = 0.05,
        distance: str = "l2",
        miner: str | None = None,
        miner_margin: float = 0.2,
        smooth: bool = False,
        average_nonzero: bool = True,
        name: str | None = "triplet_batch_all_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ):
        super().__init__(distance=distance, name=name, reduction=reduction, dtype=dtype)
        self.margin = check_float("margin", margin)
        if miner is not None and miner not in TRIPLET_TYPES:
            raise ValueError(f"miner must be None or one of {TRIPLET_TYPES}, got {miner!r}.")
        self.miner = miner
        self.miner_margin = check_float("miner_margin", miner_margin)
        self.smooth = bool(smooth)
        self.average_nonzero = bool(average_nonzero)

    def compute(self, labels: Any, embeddings: Any, distances: Any) -> Any:
        mask = None
        if self.miner is not None:
            mask = triplet_margin_mask(distances, labels, self.miner_margin, self.miner)
        return triplet_batch_all_loss(
            labels, distances, self.margin, self.smooth, mask, self.average_nonzero
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "margin": self.margin,
            "miner": self.miner,
            "miner_margin": self.miner_margin,
            "smooth": self.smooth,
            "average_nonzero": self.average_nonzero,
        }
