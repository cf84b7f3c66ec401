"""Zoo architecture: a backbone producing embeddings, and a margin-softmax head over them."""

from __future__ import annotations

from typing import Any

import keras

from kzoo import heads
from kzoo.models.backbones import build_backbone
from kzoo.models.margin_model import MarginModel

HEADS: dict[str, tuple[type, dict[str, Any]]] = {
    # L-Softmax with m = 1 is exactly the plain linear softmax classifier without bias.
    "softmax": (heads.LSoftmax, {"margin": 1, "lambda_base": 0.0, "lambda_min": 0.0}),
    "lsoftmax": (heads.LSoftmax, {}),
    "sphereface": (heads.SphereFace, {}),
    "normface": (heads.NormFace, {}),
    "l2softmax": (heads.L2Softmax, {}),
    "coco": (heads.CoCo, {}),
    "cosface": (heads.CosFace, {}),
    "arcface": (heads.ArcFace, {}),
}


def build_margin_classifier(
    num_classes: int,
    head: str = "sphereface",
    head_kwargs: dict[str, Any] | None = None,
    depth: int = 20,
    input_shape: tuple[int, ...] = (28, 28, 1),
    embedding_dim: int = 128,
    conv: dict[str, Any] | None = None,
    backbone: str = "resnet_cifar",
    backbone_kwargs: dict[str, Any] | None = None,
    name: str | None = None,
) -> MarginModel:
    """A zoo classifier: a `MarginModel`, `image -> [embedding, logits]`.

    The embedding is the backbone's output L2-normalised (compare with cosine / dot product);
    the logits are the head's margin-free logits (`head(raw_embedding)`, no labels). The
    backbone is `build_resnet_cifar(depth, ...)`, its 3×3 convs decoupled when `conv` is
    given (e.g. `{"type": "decoupled", "magnitude": "tanh", "angular": "cosine"}`), or any
    other of `kzoo.models.backbones.BACKBONES` (e.g. "lsoftmax_cnn", the L-Softmax paper's
    MNIST CNN).
    `model.fit(x, y)` applies the head's margin with the labels `y` (see `MarginModel`);
    `training_model(model)` gives the equivalent explicit `[image, label]` model.

    Args:
        num_classes: number of classes.
        head: one of `HEADS` ("softmax" is L-Softmax with m = 1, the plain linear classifier).
        head_kwargs: arguments of the head class, over the defaults in `HEADS`.
        depth, input_shape, embedding_dim: the backbone's (`depth`: resnet_cifar only).
        conv: `DecoupledConv2D` arguments for the ResNet's 3×3 convs, or None for `Conv2D`.
        backbone: one of `kzoo.models.backbones.BACKBONES`.
        backbone_kwargs: further arguments of the backbone builder (e.g. `width`).
        name: model name.
    """
    if head not in HEADS:
        raise ValueError(f"`head` must be one of {sorted(HEADS)}, got {head!r}.")
    head_cls, defaults = HEADS[head]
    net = build_backbone(
        backbone,
        input_shape=input_shape,
        embedding_dim=embedding_dim,
        depth=depth if backbone == "resnet_cifar" else None,
        conv=conv,
        backbone_kwargs=backbone_kwargs,
    )
    head_layer = head_cls(num_classes, **{**defaults, **(head_kwargs or {})}, name="head")
    default_name = (
        f"{head}_resnet{depth}" if backbone == "resnet_cifar" else f"{head}_{backbone}_classifier"
    )
    return MarginModel(net, head_layer, name=name or default_name)


def training_model(model: keras.Model) -> keras.Model:
    """`[image, label] -> margin logits`, sharing every layer and weight with `model`."""
    backbone, head = model.get_layer("backbone"), model.get_layer("head")
    image = keras.Input(model.input_shape[1:], name="image")
    label = keras.Input((), dtype="int32", name="label")
    return keras.Model([image, label], head([backbone(image), label]), name=f"{model.name}_train")
