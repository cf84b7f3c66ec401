"""A pretrained backbone with a fresh margin head, and BatchNormalization for fine-tuning."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from kzoo.models.margin_classifier import HEADS
from kzoo.models.margin_model import MarginModel

FINE_TUNE_BN_MOMENTUM = 0.9


def batch_norm_layers(model: keras.layers.Layer) -> list[keras.layers.BatchNormalization]:
    """Every `BatchNormalization` layer inside `model` (nested models included)."""
    return [
        layer
        for layer in model._flatten_layers(include_self=True, recursive=True)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def recalibrate_batch_norm(model: keras.layers.Layer, x: Any, batch_size: int | None = None) -> int:
    """Sets the moving mean and variance of every BatchNormalization in `model` to those of `x`.

    Runs `model(batch, training=True)` over `x` with no weight update; each layer's moving
    statistics become the average of its batch statistics (all of `x` in one batch when
    `batch_size` is None: the exact statistics). Momentum and trainability are restored after.

    Args:
        model: a model or layer containing BatchNormalization layers.
        x: inputs (an array, first axis samples) drawn from the data the model will see.
        batch_size: samples per pass; None for one pass over all of `x`.

    Returns:
        The number of BatchNormalization layers recalibrated.

    Example:
    >>> model.fit(x_train, y_train, epochs=30)
    >>> kzoo.models.recalibrate_batch_norm(model, x_train)
    """
    x = np.asarray(x)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"`x` must be a non-empty array of samples, got shape {x.shape}.")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"`batch_size` must be a positive int or None, got {batch_size!r}.")
    layers = batch_norm_layers(model)
    saved = [(layer.momentum, layer.trainable) for layer in layers]
    step = batch_size or len(x)
    try:
        for layer in layers:
            layer.trainable = True
        for i, start in enumerate(range(0, len(x), step)):
            for layer in layers:
                layer.momentum = i / (i + 1)  # the running average of the batch statistics
            model(x[start : start + step], training=True)
    finally:
        for layer, (momentum, trainable) in zip(layers, saved, strict=True):
            layer.momentum, layer.trainable = momentum, trainable
    return len(layers)


def fine_tuning_model(
    model: keras.Model,
    num_classes: int,
    head: str = "arcface",
    head_kwargs: dict[str, Any] | None = None,
    bn_momentum: float | None = FINE_TUNE_BN_MOMENTUM,
) -> MarginModel:
    """A `MarginModel` over `model`'s backbone (its weights) with a fresh head of `num_classes`.

    BatchNormalization policy (measured on the AT&T faces, README "Fine-tune a zoo model"):
    the backbone's BN layers stay trainable, so they normalise with batch statistics while
    training, and their momentum is set to `bn_momentum` so that the moving statistics used at
    inference follow the new data within a few dozen steps instead of keeping the pretraining
    data's. `None` keeps the layers' momentum.

    Args:
        model: a zoo model with a layer named "backbone" (images -> raw embeddings).
        num_classes: classes of the new head.
        head: one of `kzoo.models.HEADS`.
        head_kwargs: arguments of the head over the defaults in `HEADS`.
        bn_momentum: momentum of the backbone's BatchNormalization layers while fine-tuning.
    """
    names = [layer.name for layer in model.layers]
    if "backbone" not in names:
        raise ValueError(
            f"`model` {model.name!r} has no layer named 'backbone' to put a new head on "
            f"(its layers: {names})."
        )
    if head not in HEADS:
        raise ValueError(f"`head` must be one of {sorted(HEADS)}, got {head!r}.")
    if bn_momentum is not None and not 0.0 <= bn_momentum < 1.0:
        raise ValueError(f"`bn_momentum` must be in [0, 1) or None, got {bn_momentum!r}.")
    backbone = model.get_layer("backbone")
    if bn_momentum is not None:
        for layer in batch_norm_layers(backbone):
            layer.momentum = float(bn_momentum)
    head_cls, defaults = HEADS[head]
    new_head = head_cls(num_classes, **{**defaults, **(head_kwargs or {})}, name="head")
    return MarginModel(backbone, new_head, name=f"{model.name}_{num_classes}_classes")
