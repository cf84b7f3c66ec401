"""Keras metric-learning losses: `y_true` integer labels, `y_pred` embeddings."""

from kzoo.losses.circle_loss import CircleLoss
from kzoo.losses.contrastive_loss import ContrastiveLoss, contrastive_loss
from kzoo.losses.cross_batch_memory import CrossBatchMemory
from kzoo.losses.embedding_contrastive_loss import (
    EmbeddingContrastiveLoss,
    embedding_contrastive_loss,
)
from kzoo.losses.margin_beta import MarginBeta
from kzoo.losses.margin_loss import MarginLoss, margin_loss
from kzoo.losses.multi_similarity_loss import MultiSimilarityLoss
from kzoo.losses.nce_loss import NCELoss
from kzoo.losses.ntxent_loss import NTXentLoss
from kzoo.losses.proxy_anchor_loss import ProxyAnchorLoss
from kzoo.losses.sup_con_loss import SupConLoss
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
    "CircleLoss",
    "MultiSimilarityLoss",
    "NTXentLoss",
    "ProxyAnchorLoss",
    "SupConLoss",
    "ContrastiveLoss",
    "CrossBatchMemory",
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
