from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses._base import MetricLoss, check_number
from kzoo.miners.triplet_miners import semihard_negatives
from kzoo.ops.label_masks import positive_mask
from kzoo.ops.masked_reductions import divide_no_nan


def triplet_semihard_loss(labels: Any, distances: Any, margin: float = 1.0) -> Any:
    """TF-Addons 0.23's semi-hard triplet loss on a precomputed distance matrix.

    For every positive pair `(a, p)`: `max(margin + d(a, p) - d(a, n*), 0)` with `n*` from
    `kzoo.miners.semihard_negatives`, averaged over positive pairs (0 if there are none;
    TF-Addons returns NaN there).
    """
    pos = ops.cast(positive_mask(labels), distances.dtype)
    loss = ops.maximum((margin + distances - semihard_negatives(distances, labels)) * pos, 0.0)
    return divide_no_nan(ops.sum(loss), ops.sum(pos))


@keras.saving.register_keras_serializable(package="kzoo")
class TripletSemiHardLoss(MetricLoss):
    """Triplet loss with semi-hard negative mining over the batch (FaceNet), as TF-Addons.

    For every positive pair (a, p) the negative is the closest one that is farther than
    p (`d(a, n) > d(a, p)`), or the farthest negative when none is; the hinge
    `max(margin + d(a, p) - d(a, n), 0)` is averaged over the positive pairs. Semantics
    equal TF-Addons 0.23's code (tested against a NumPy port of its test reference),
    except that a batch with no positive pair gives 0 rather than NaN. `y_true` holds
    integer labels `(B,)`, `y_pred` embeddings `(B, D)`.

    Args:
        margin: margin of the hinge. Default 1.0.
        distance: "squared_l2" (TF-Addons' default, its "L_2"), "l2" or "angular".
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> model.compile(optimizer="adam", loss=kzoo.losses.TripletSemiHardLoss(margin=1.0))

    Reference: Schroff, Kalenichenko, Philbin, "FaceNet: A Unified Embedding for Face
    Recognition and Clustering", CVPR 2015.
    """

    def __init__(
        self,
        margin: float = 1.0,
        distance: str = "squared_l2",
        name: str | None = "triplet_semihard_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ):
        super().__init__(distance=distance, name=name, reduction=reduction, dtype=dtype)
        self.margin = check_number("margin", margin)

    def compute(self, labels: Any, embeddings: Any, distances: Any) -> Any:
        return triplet_semihard_loss(labels, distances, self.margin)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin}
