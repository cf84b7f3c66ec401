"""Backbones and model builders."""

from kzoo.models.backbones import BACKBONES, build_backbone, register_backbone
from kzoo.models.conv4 import build_conv4
from kzoo.models.embedding_model import build_embedding_model
from kzoo.models.lsoftmax_cnn import build_lsoftmax_cnn
from kzoo.models.margin_classifier import HEADS, build_margin_classifier, training_model
from kzoo.models.margin_model import MarginModel
from kzoo.models.resnet_cifar import build_resnet_cifar
from kzoo.models.triplet_feature_model import TripletFeatureModel
from kzoo.models.trr_mlp import build_trr_mlp

__all__ = [
    "BACKBONES",
    "build_backbone",
    "build_conv4",
    "build_embedding_model",
    "register_backbone",
    "HEADS",
    "MarginModel",
    "TripletFeatureModel",
    "build_lsoftmax_cnn",
    "build_margin_classifier",
    "build_resnet_cifar",
    "build_trr_mlp",
    "training_model",
]
