"""Keras layers: cosine normalization, Feature Incay."""

from kzoo.layers.cosine_normalization import CosineNormalization
from kzoo.layers.feature_incay import FeatureIncay

__all__ = ["CosineNormalization", "FeatureIncay"]
