"""Keras callbacks."""

from kzoo.callbacks.weighted_knn_monitor import WeightedKNNMonitor

__all__ = ["WeightedKNNMonitor"]
