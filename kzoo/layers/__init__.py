"""Keras layers."""

from kzoo.layers.nce_memory_bank import NCEMemoryBank

__all__ = ["NCEMemoryBank"]
