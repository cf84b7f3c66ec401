from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses._base import MetricLoss, check_number
from kzoo.miners.triplet_miners import hardest_negatives, hardest_positives


def triplet_hard_loss(labels: Any, distances: Any, margin: float = 1.0, soft: bool = False) -> Any:
    """TF-Addons' batch-hard triplet loss on a precomputed distance matrix."""
    gap = hardest_positives(distances, labels) - hardest_negatives(distances, labels)
    per_anchor = ops.softplus(gap) if soft else ops.maximum(gap + margin, 0.0)
    return ops.mean(per_anchor)


@keras.saving.register_keras_serializable(package="kzoo")
class TripletHardLoss(MetricLoss):
    """Batch-hard triplet loss (hardest positive and hardest negative per anchor), as TF-Addons.

    Per anchor: `max(max_p d(a, p) - min_n d(a, n) + margin, 0)`, or with `soft=True`
    `log(1 + exp(max_p d(a, p) - min_n d(a, n)))`; averaged over anchors. An anchor
    without positives uses its row minimum (0 for L2 distances) as hardest positive, and
    one without negatives its row maximum as hardest negative, as TF-Addons does.

    Args:
        margin: hinge margin (ignored when `soft`). Default 1.0.
        soft: use the soft-margin form. Default False.
        distance: "squared_l2" (TF-Addons' default), "l2" or "angular".
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> model.compile(optimizer="adam", loss=kzoo.losses.TripletHardLoss(soft=True))

    Reference: Hermans, Beyer, Leibe, "In Defense of the Triplet Loss for Person
    Re-Identification", arXiv:1703.07737, 2017.
    """

    def __init__(
        self,
        margin: float = 1.0,
        soft: bool = False,
        distance: str = "squared_l2",
        name: str | None = "triplet_hard_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ):
        super().__init__(distance=distance, name=name, reduction=reduction, dtype=dtype)
        self.margin = check_number("margin", margin)
        if not isinstance(soft, bool):
            raise TypeError(f"soft must be a bool, got {type(soft).__name__}.")
        self.soft = soft

    def compute(self, labels: Any, embeddings: Any, distances: Any) -> Any:
        return triplet_hard_loss(labels, distances, self.margin, self.soft)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin, "soft": self.soft}
