from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses._base import MetricLoss, propagate_nan
from kzoo.miners.triplet_miners import hardest_pair_masks
from kzoo.ops.label_masks import negative_mask, positive_mask
from kzoo.ops.masked_reductions import masked_mean
from kzoo.utils.validation import check_float

PAIR_MINERS = (None, "hardest")


def embedding_contrastive_loss(
    labels: Any,
    distances: Any,
    pos_margin: float = 0.0,
    neg_margin: float = 1.0,
    pos: Any = None,
    neg: Any = None,
) -> Any:
    """PML's contrastive loss on a distance matrix: mean non-zero positive + negative terms."""
    pos = positive_mask(labels) if pos is None else pos
    neg = negative_mask(labels) if neg is None else neg
    pos_losses = ops.maximum(distances - pos_margin, 0.0)
    neg_losses = ops.maximum(neg_margin - distances, 0.0)
    pos_term = masked_mean(pos_losses, ops.logical_and(pos, ops.greater(pos_losses, 0.0)))
    neg_term = masked_mean(neg_losses, ops.logical_and(neg, ops.greater(neg_losses, 0.0)))
    return propagate_nan(pos_term + neg_term, distances)


@keras.saving.register_keras_serializable(package="kzoo")
class EmbeddingContrastiveLoss(MetricLoss):
    """Contrastive loss over all pairs of a batch of embeddings, with two margins (PML).

    Positive pairs (same label, `i != j`) cost `max(d - pos_margin, 0)`, negative pairs
    `max(neg_margin - d, 0)`; each kind is averaged over its non-zero terms and the two
    averages are added, as PyTorch Metric Learning's `ContrastiveLoss` with its default
    `AvgNonZeroReducer`. A batch with no positive (or negative) pair contributes 0 for it.

    Args:
        pos_margin: distance under which positives cost nothing. Default 0.
        neg_margin: distance over which negatives cost nothing. Default 1.
        distance: "l2" (default), "squared_l2" or "angular".
        miner: None (all pairs) or "hardest" (per anchor, the farthest positive and the
            closest negative only).
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> loss = kzoo.losses.EmbeddingContrastiveLoss(pos_margin=0.0, neg_margin=1.0)

    Reference: Hadsell, Chopra, LeCun, CVPR 2006; Musgrave et al., "A Metric Learning
    Reality Check", ECCV 2020.
    """

    def __init__(
        self,
        pos_margin: float = 0.0,
        neg_margin: float = 1.0,
        distance: str = "l2",
        miner: str | None = None,
        name: str | None = "embedding_contrastive_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ):
        super().__init__(distance=distance, name=name, reduction=reduction, dtype=dtype)
        self.pos_margin = check_float("pos_margin", pos_margin)
        self.neg_margin = check_float("neg_margin", neg_margin)
        if miner not in PAIR_MINERS:
            raise ValueError(f"miner must be one of {PAIR_MINERS}, got {miner!r}.")
        self.miner = miner

    def compute(self, labels: Any, embeddings: Any, distances: Any) -> Any:
        pos = neg = None
        if self.miner == "hardest":
            pos, neg = hardest_pair_masks(distances, labels)
        return embedding_contrastive_loss(
            labels, distances, self.pos_margin, self.neg_margin, pos, neg
        )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "pos_margin": self.pos_margin,
            "neg_margin": self.neg_margin,
            "miner": self.miner,
        }
