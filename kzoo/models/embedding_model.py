"""Zoo architecture without classes: a backbone whose output is L2-normalised."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from kzoo.layers.l2_normalization import L2Normalization
from kzoo.models.backbones import build_backbone


def build_embedding_model(
    backbone: str = "resnet_cifar",
    *,
    input_shape: Sequence[int] = (28, 28, 1),
    embedding_dim: int = 128,
    depth: int | None = None,
    conv: dict[str, Any] | None = None,
    backbone_kwargs: dict[str, Any] | None = None,
    normalize: bool = True,
    name: str | None = None,
) -> keras.Model:
    """The inference model of a metric-learning zoo entry: `image -> embedding`.

    The output layer is named `"embedding"`; it is the backbone's output L2-normalised
    (`normalize=True`, for cosine / dot-product comparison) or the raw output.

    Args:
        backbone: one of `kzoo.models.backbones.BACKBONES`.
        input_shape, embedding_dim: the backbone's input shape and output size.
        depth, conv: ResNet depth and `DecoupledConv2D` arguments (resnet_cifar only).
        backbone_kwargs: further arguments of the backbone builder.
        normalize: L2-normalise the output.
        name: model name.

    Example:
    >>> model = build_embedding_model("resnet_cifar", depth=8, embedding_dim=16)
    >>> model.output_shape
    (None, 16)
    """
    net = build_backbone(
        backbone,
        input_shape=input_shape,
        embedding_dim=embedding_dim,
        depth=depth,
        conv=conv,
        backbone_kwargs=backbone_kwargs,
    )
    image = keras.Input(tuple(input_shape), name="image")
    raw = net(image)
    out = (
        L2Normalization(name="embedding")(raw)
        if normalize
        else keras.layers.Identity(name="embedding")(raw)
    )
    return keras.Model(image, out, name=name or f"{backbone}_embedding")
