from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from kzoo.losses._base import propagate_nan
from kzoo.losses._tfa import TFALoss, tfa_loss
from kzoo.miners.triplet_miners import hardest_negatives, hardest_positives
from kzoo.utils.validation import check_bool, check_non_negative


def triplet_hard_loss_from_distances(
    labels: Any, distances: Any, margin: float = 1.0, soft: bool = False
) -> Any:
    """TF-Addons' batch-hard triplet loss on a precomputed `(B, B)` distance matrix."""
    gap = hardest_positives(distances, labels) - hardest_negatives(distances, labels)
    per_anchor = ops.softplus(gap) if soft else ops.maximum(gap + margin, 0.0)
    return propagate_nan(ops.mean(per_anchor), distances)


def triplet_hard_loss(
    y_true: Any,
    y_pred: Any,
    margin: float = 1.0,
    soft: bool = False,
    distance_metric: str | Callable = "L2",
) -> Any:
    """TF-Addons' `tfa.losses.triplet_hard_loss`, same signature and defaults.

    Args:
        y_true: integer labels `(B,)`.
        y_pred: embeddings `(B, D)` (float16/bfloat16 computed in float32 and cast back).
        margin: hinge margin (unused when `soft`).
        soft: `log(1 + exp(d_ap - d_an))` instead of the hinge.
        distance_metric: "L2" (Euclidean, default), "squared-L2", "angular" or a callable
            `(B, D) -> (B, B)`.
    """
    margin = check_non_negative("margin", margin)
    soft = check_bool("soft", soft)
    return tfa_loss(
        y_true,
        y_pred,
        distance_metric,
        lambda labels, d: triplet_hard_loss_from_distances(labels, d, margin, soft),
    )


@keras.saving.register_keras_serializable(package="kzoo")
class TripletHardLoss(TFALoss):
    """Batch-hard triplet loss (hardest positive and hardest negative per anchor), as TF-Addons.

    Per anchor: `max(max_p d(a, p) - min_n d(a, n) + margin, 0)`, or with `soft=True`
    `log(1 + exp(max_p d(a, p) - min_n d(a, n)))` (as a softplus, which does not overflow);
    averaged over anchors. An anchor without
    positives uses its row minimum (0 for L2 distances) as hardest positive, and one without
    negatives its row maximum as hardest negative, as TF-Addons does. Same constructor,
    defaults and values as `tfa.losses.TripletHardLoss` 0.23.

    Args:
        margin: hinge margin, >= 0 (ignored when `soft`). Default 1.0.
        soft: use the soft-margin form. Default False.
        distance_metric: "L2" (Euclidean, default), "squared-L2", "angular" or a callable
            mapping the `(B, D)` embeddings to a `(B, B)` distance matrix.
        name: name of the loss.
        **kwargs: `reduction`, `dtype` of `keras.losses.Loss`.

    Example:
    >>> model.compile(optimizer="adam", loss=kzoo.losses.TripletHardLoss(soft=True))

    Reference: Hermans, Beyer, Leibe, "In Defense of the Triplet Loss for Person
    Re-Identification", arXiv:1703.07737, 2017.
    """

    def __init__(
        self,
        margin: float = 1.0,
        soft: bool = False,
        distance_metric: str | Callable = "L2",
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(distance_metric, name, kwargs)
        self.margin = check_non_negative("margin", margin)
        self.soft = check_bool("soft", soft)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return triplet_hard_loss(y_true, y_pred, self.margin, self.soft, self.distance_metric)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin, "soft": self.soft}
