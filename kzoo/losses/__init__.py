"""Keras metric-learning losses: `y_true` integer labels, `y_pred` embeddings."""

from kzoo.losses.contrastive_loss import ContrastiveLoss, contrastive_loss
from kzoo.losses.embedding_contrastive_loss import (
    EmbeddingContrastiveLoss,
    embedding_contrastive_loss,
)
from kzoo.losses.margin_beta import MarginBeta
from kzoo.losses.margin_loss import MarginLoss, margin_loss
from kzoo.losses.nce_loss import NCELoss
from kzoo.losses.triplet_batch_all_loss import TripletBatchAllLoss, triplet_batch_all_loss
from kzoo.losses.triplet_hard_loss import (
    TripletHardLoss,
    triplet_hard_loss,
    triplet_hard_loss_from_distances,
)
from kzoo.losses.triplet_semi_hard_loss import (
    TripletSemiHardLoss,
    triplet_semihard_loss,
    triplet_semihard_loss_from_distances,
)
from kzoo.losses.trr_loss import TRRLoss, trr_scores, trr_terms

__all__ = [
    "ContrastiveLoss",
    "EmbeddingContrastiveLoss",
    "MarginBeta",
    "MarginLoss",
    "NCELoss",
    "TRRLoss",
    "TripletBatchAllLoss",
    "TripletHardLoss",
    "TripletSemiHardLoss",
    "contrastive_loss",
    "embedding_contrastive_loss",
    "margin_loss",
    "triplet_batch_all_loss",
    "triplet_hard_loss",
    "triplet_hard_loss_from_distances",
    "triplet_semihard_loss",
    "triplet_semihard_loss_from_distances",
    "trr_scores",
    "trr_terms",
]
