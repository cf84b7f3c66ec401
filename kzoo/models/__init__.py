"""Backbone and model builders."""

from kzoo.models.resnet_cifar import build_resnet_cifar

__all__ = ["build_resnet_cifar"]
