"""Backbone and model builders."""

from kzoo.models.margin_classifier import HEADS, build_margin_classifier, training_model
from kzoo.models.resnet_cifar import build_resnet_cifar

__all__ = ["HEADS", "build_margin_classifier", "build_resnet_cifar", "training_model"]
