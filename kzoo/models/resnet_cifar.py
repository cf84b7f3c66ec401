"""He et al.'s CIFAR ResNet (ResNet-20/32/44/56/110) as an embedding backbone, any conv operator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras

ConvFactory = Callable[..., keras.layers.Layer]


def _default_conv(filters: int, kernel_size: int, **kwargs: Any) -> keras.layers.Layer:
    return keras.layers.Conv2D(filters, kernel_size, kernel_initializer="he_normal", **kwargs)


def _check_factory(factory: Any, name: str) -> ConvFactory:
    if factory is None:
        return _default_conv
    if not callable(factory):
        raise TypeError(
            f"`{name}` must be a callable (filters, kernel_size, strides=, padding=, use_bias=, "
            f"name=) -> layer, e.g. keras.layers.Conv2D or functools.partial(DecoupledConv2D, "
            f"magnitude='tanh'); received {factory!r}."
        )
    return factory


def build_resnet_cifar(
    depth: int = 20,
    input_shape: Sequence[int] = (28, 28, 1),
    embedding_dim: int = 128,
    conv_layer: ConvFactory | None = None,
    shortcut_conv_layer: ConvFactory | None = None,
    widths: Sequence[int] = (16, 32, 64),
    embedding_activation: Any = None,
    name: str | None = None,
) -> keras.Model:
    """Builds the CIFAR ResNet of He et al. (2016) with a linear embedding on top.

    Layout: a 3×3 stem conv, then three stages of n = (depth − 2)/6 basic blocks
    (conv3×3–BN–ReLU–conv3×3–BN, + shortcut, ReLU) with `widths` channels and strides 1, 2, 2,
    global average pooling and a `Dense(embedding_dim)` named `"embedding"`. For 28×28×1
    inputs (MNIST, Fashion-MNIST) the feature maps are 28, 14 and 7 pixels wide. Shortcuts
    that change shape are a 1×1 conv + BN ("option B"). `conv_layer` builds every 3×3 conv, so
    the same builder gives a plain ResNet or a DCNet, e.g.
    `conv_layer=functools.partial(kzoo.layers.DecoupledConv2D, magnitude="tanh")`;
    shortcuts stay plain `Conv2D` unless `shortcut_conv_layer` is given (as in the DCNet
    authors' code).

    Args:
        depth: 6n + 2 with n ≥ 1: 20, 32, 44, 56, 110, ...
        input_shape: (height, width, channels), channels last.
        embedding_dim: size of the output embedding.
        conv_layer: callable `(filters, kernel_size, strides=, padding=, use_bias=, name=)`
            returning a layer; None gives `keras.layers.Conv2D` with He-normal init.
        shortcut_conv_layer: the same for the 1×1 projection shortcuts (default as above).
        widths: channels of the three stages.
        embedding_activation: activation of the embedding layer (default linear).
        name: model name (default `"resnet{depth}_cifar"`).

    Returns:
        A functional `keras.Model` mapping images to `(batch, embedding_dim)` embeddings.

    Example:
        >>> model = build_resnet_cifar(20, embedding_dim=64)
        >>> model(np.zeros((2, 28, 28, 1), "float32")).shape
        (2, 64)

    Reference: K. He, X. Zhang, S. Ren, J. Sun, "Deep Residual Learning for Image
    Recognition", CVPR 2016 (Sec. 4.2); W. Liu et al., "Decoupled Networks", CVPR 2018.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(
            f"`depth` must be 6n + 2 with n ≥ 1 (20, 32, 56, ...); received {depth!r}."
        )
    if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim <= 0:
        raise ValueError(f"`embedding_dim` must be a positive int; received {embedding_dim!r}.")
    widths = tuple(widths)
    if len(widths) != 3 or not all(isinstance(w, int) and w > 0 for w in widths):
        raise ValueError(f"`widths` must be three positive ints; received {widths!r}.")
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ValueError(
            f"`input_shape` must be (height, width, channels); received {input_shape!r}."
        )
    conv = _check_factory(conv_layer, "conv_layer")
    shortcut_conv = _check_factory(shortcut_conv_layer, "shortcut_conv_layer")
    blocks = (depth - 2) // 6

    def conv_bn(x: Any, filters: int, strides: int, prefix: str, relu: bool) -> Any:
        x = conv(
            filters, 3, strides=strides, padding="same", use_bias=False, name=f"{prefix}_conv"
        )(x)
        x = keras.layers.BatchNormalization(name=f"{prefix}_bn")(x)
        return keras.layers.Activation("relu", name=f"{prefix}_relu")(x) if relu else x

    inputs = keras.Input(shape=input_shape, name="images")
    x = conv_bn(inputs, widths[0], 1, "stem", relu=True)
    for stage, filters in enumerate(widths):
        for block in range(blocks):
            strides = 2 if stage > 0 and block == 0 else 1
            prefix = f"stage{stage + 1}_block{block + 1}"
            y = conv_bn(x, filters, strides, f"{prefix}_1", relu=True)
            y = conv_bn(y, filters, 1, f"{prefix}_2", relu=False)
            if strides != 1 or x.shape[-1] != filters:
                x = shortcut_conv(
                    filters,
                    1,
                    strides=strides,
                    padding="same",
                    use_bias=False,
                    name=f"{prefix}_shortcut_conv",
                )(x)
                x = keras.layers.BatchNormalization(name=f"{prefix}_shortcut_bn")(x)
            x = keras.layers.Add(name=f"{prefix}_add")([x, y])
            x = keras.layers.Activation("relu", name=f"{prefix}_out")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(embedding_dim, activation=embedding_activation, name="embedding")(
        x
    )
    return keras.Model(inputs, outputs, name=name or f"resnet{depth}_cifar")
