"""Retrieval, clustering and verification metrics on embeddings."""

from kzoo.metrics.accuracy_calculator import AccuracyCalculator
from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.metrics.weighted_knn import weighted_knn_accuracy, weighted_knn_predict

__all__ = [
    "AccuracyCalculator",
    "map_at_r",
    "recall_at_k",
    "weighted_knn_accuracy",
    "weighted_knn_predict",
]
