"""Keras callbacks: λ schedules, memory banks, monitors, weight projection."""

from kzoo.callbacks.weight_projection import WeightProjection, project_kernel

__all__ = ["WeightProjection", "project_kernel"]
