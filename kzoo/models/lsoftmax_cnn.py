"""The plain CNN of the L-Softmax paper's MNIST experiments, with a linear embedding on top."""

from __future__ import annotations

from collections.abc import Sequence

import keras


def build_lsoftmax_cnn(
    input_shape: Sequence[int] = (28, 28, 1),
    embedding_dim: int = 256,
    width: int = 64,
    convs_per_stage: int = 3,
    name: str | None = None,
) -> keras.Model:
    """Builds the MNIST network of Liu et al. (2016), Table 1: a VGG-like plain CNN.

    Layout: conv0 `[3×3, width]`, then three stages of `convs_per_stage` `[3×3, width]`
    convs each followed by 2×2 max pooling, and a fully connected `Dense(embedding_dim)`
    named `"embedding"` (linear: the head sees the raw feature). Every conv is
    conv–BN–PReLU, as in the paper. `width=64, convs_per_stage=3, embedding_dim=256` is the
    paper's network; kzoo's zoo entries state when they use a narrower one.

    Args:
        input_shape: (height, width, channels), channels last.
        embedding_dim: size of the output feature (the paper's FC layer: 256).
        width: channels of every conv (the paper: 64).
        convs_per_stage: convs in each of the three pooled stages (the paper: 3).
        name: model name.

    Example:
    >>> model = build_lsoftmax_cnn(width=16)
    >>> model.output_shape
    (None, 256)

    Reference:
        Liu, Wen, Yu, Yang. Large-Margin Softmax Loss for Convolutional Neural Networks.
        ICML 2016. https://arxiv.org/abs/1612.02295
    """
    for arg, value in (
        ("embedding_dim", embedding_dim),
        ("width", width),
        ("convs_per_stage", convs_per_stage),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be a positive int, got {value!r}.")
    if len(tuple(input_shape)) != 3:
        raise ValueError(
            f"`input_shape` must be (height, width, channels), got {tuple(input_shape)!r}."
        )

    def conv_bn_prelu(x, label: str):
        x = keras.layers.Conv2D(
            width,
            3,
            padding="same",
            use_bias=False,
            kernel_initializer="he_normal",
            name=f"{label}_conv",
        )(x)
        x = keras.layers.BatchNormalization(name=f"{label}_bn")(x)
        return keras.layers.PReLU(shared_axes=[1, 2], name=f"{label}_prelu")(x)

    image = keras.Input(tuple(input_shape), name="image")
    x = conv_bn_prelu(image, "conv0")
    for stage in range(1, 4):
        for i in range(convs_per_stage):
            x = conv_bn_prelu(x, f"conv{stage}_{i + 1}")
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"pool{stage}")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    embedding = keras.layers.Dense(embedding_dim, name="embedding")(x)
    return keras.Model(image, embedding, name=name or "lsoftmax_cnn")
