"""Retrieval metrics."""

from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.metrics.weighted_knn import weighted_knn_accuracy, weighted_knn_predict

__all__ = [
    "map_at_r",
    "recall_at_k",
    "weighted_knn_accuracy",
    "weighted_knn_predict",
]
