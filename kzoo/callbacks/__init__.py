"""Keras callbacks."""

from kzoo.callbacks.lambda_schedule import MarginLambdaScheduler

__all__ = ["MarginLambdaScheduler"]
