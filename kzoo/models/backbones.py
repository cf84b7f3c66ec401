"""The backbones zoo builders can name: `name -> builder(input_shape, embedding_dim, name, ...)`."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import keras

from kzoo.layers.decoupled_conv2d import DecoupledConv2D
from kzoo.models.lsoftmax_cnn import build_lsoftmax_cnn
from kzoo.models.resnet_cifar import build_resnet_cifar

BACKBONES: dict[str, Callable[..., keras.Model]] = {
    "resnet_cifar": build_resnet_cifar,
    "lsoftmax_cnn": build_lsoftmax_cnn,
}


def register_backbone(name: str, builder: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
    """Adds `builder(input_shape=..., embedding_dim=..., name=..., **kwargs)` as `name`."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"`name` must be a non-empty string, got {name!r}.")
    if name in BACKBONES and BACKBONES[name] is not builder:
        raise ValueError(f"A backbone named {name!r} is already registered.")
    BACKBONES[name] = builder
    return builder


def conv_factory(conv: dict[str, Any] | None) -> Callable[..., Any] | None:
    """`{"type": "decoupled", **DecoupledConv2D kwargs}` -> a conv-layer factory (None: Conv2D)."""
    if not conv:
        return None
    conv = dict(conv)
    kind = conv.pop("type", "decoupled")
    if kind != "decoupled":
        raise ValueError(f"`conv['type']` must be 'decoupled', got {kind!r}.")
    return functools.partial(DecoupledConv2D, **conv)


def build_backbone(
    backbone: str = "resnet_cifar",
    *,
    input_shape: Sequence[int] = (28, 28, 1),
    embedding_dim: int = 128,
    depth: int | None = None,
    conv: dict[str, Any] | None = None,
    backbone_kwargs: dict[str, Any] | None = None,
    name: str = "backbone",
) -> keras.Model:
    """Builds the backbone `backbone` (one of `BACKBONES`): `image -> raw embedding`.

    `depth` and `conv` (`DecoupledConv2D` arguments for the 3×3 convs) apply to "resnet_cifar"
    only; `backbone_kwargs` go to the builder as they are.
    """
    if backbone not in BACKBONES:
        raise ValueError(f"`backbone` must be one of {sorted(BACKBONES)}, got {backbone!r}.")
    kwargs = dict(backbone_kwargs or {})
    if backbone == "resnet_cifar":
        kwargs.update(depth=20 if depth is None else depth, conv_layer=conv_factory(conv))
    elif conv:
        raise ValueError("`conv` applies to the 'resnet_cifar' backbone only.")
    elif depth is not None:
        raise ValueError("`depth` applies to the 'resnet_cifar' backbone only.")
    return BACKBONES[backbone](
        input_shape=tuple(input_shape), embedding_dim=embedding_dim, name=name, **kwargs
    )
