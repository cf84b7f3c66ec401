"""Keras layers: decoupled operators, cosine normalization, Feature Incay."""

from kzoo.layers.cosine_normalization import CosineNormalization
from kzoo.layers.decoupled_base import DecoupledBase
from kzoo.layers.decoupled_conv2d import DecoupledConv2D
from kzoo.layers.decoupled_dense import DecoupledDense
from kzoo.layers.feature_incay import FeatureIncay
from kzoo.layers.l2_normalization import L2Normalization
from kzoo.layers.nce_memory_bank import NCEMemoryBank

__all__ = [
    "CosineNormalization",
    "DecoupledBase",
    "DecoupledConv2D",
    "DecoupledDense",
    "FeatureIncay",
    "L2Normalization",
    "NCEMemoryBank",
]
