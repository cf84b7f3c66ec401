"""Retrieval and classification metrics of embeddings."""

from kzoo.metrics.weighted_knn import weighted_knn_accuracy, weighted_knn_predict

__all__ = ["weighted_knn_accuracy", "weighted_knn_predict"]
