"""Keras callbacks: λ schedules, memory banks, monitors, weight projection."""

from kzoo.callbacks.lambda_schedule import MarginLambdaScheduler
from kzoo.callbacks.weight_projection import WeightProjection, project_kernel
from kzoo.callbacks.weighted_knn_monitor import WeightedKNNMonitor

__all__ = [
    "MarginLambdaScheduler",
    "WeightProjection",
    "WeightedKNNMonitor",
    "project_kernel",
]
