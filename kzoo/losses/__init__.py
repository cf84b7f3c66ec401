"""Keras losses."""

from kzoo.losses.nce_loss import NCELoss

__all__ = ["NCELoss"]
