"""Retrieval, clustering and verification metrics on embeddings."""

from kzoo.metrics.accuracy_calculator import AccuracyCalculator
from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.metrics.verification import best_threshold, kfold_accuracy, pair_scores, tar_at_far
from kzoo.metrics.verification_report import VerificationReport, evaluate_verification
from kzoo.metrics.weighted_knn import weighted_knn_accuracy, weighted_knn_predict

__all__ = [
    "AccuracyCalculator",
    "VerificationReport",
    "best_threshold",
    "evaluate_verification",
    "kfold_accuracy",
    "map_at_r",
    "pair_scores",
    "recall_at_k",
    "tar_at_far",
    "weighted_knn_accuracy",
    "weighted_knn_predict",
]
