"""Keras callbacks: λ schedules, memory banks, monitors, weight projection."""

from kzoo.callbacks.lambda_schedule import MarginLambdaScheduler
from kzoo.callbacks.weight_projection import WeightProjection, project_kernel

__all__ = ["MarginLambdaScheduler", "WeightProjection", "project_kernel"]
