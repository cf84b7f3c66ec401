"""Miners: hard / semi-hard selection functions and distance-weighted sampling."""

from kzoo.miners.distance_weighted_miner import DistanceWeightedMiner
from kzoo.miners.multi_similarity_miner import MultiSimilarityMiner
from kzoo.miners.triplet_miners import (
    TRIPLET_TYPES,
    hard_triplet_mask,
    hardest_negatives,
    hardest_pair_masks,
    hardest_positives,
    pair_masks_from_triplets,
    semihard_negatives,
    semihard_triplet_mask,
    triplet_margin_mask,
    triplet_margins,
)

__all__ = [
    "DistanceWeightedMiner",
    "MultiSimilarityMiner",
    "TRIPLET_TYPES",
    "hard_triplet_mask",
    "hardest_negatives",
    "hardest_pair_masks",
    "hardest_positives",
    "pair_masks_from_triplets",
    "semihard_negatives",
    "semihard_triplet_mask",
    "triplet_margin_mask",
    "triplet_margins",
]
