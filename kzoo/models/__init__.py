"""Backbones and model builders."""

from kzoo.models.triplet_feature_model import TripletFeatureModel

__all__ = ["TripletFeatureModel"]
