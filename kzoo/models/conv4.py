"""The 4-block ConvNet of matching / prototypical networks, with a linear embedding on top."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from kzoo.models.backbones import register_backbone


def build_conv4(
    input_shape: Sequence[int] = (28, 28, 1),
    embedding_dim: int = 128,
    width: int = 64,
    blocks: int = 4,
    name: str | None = None,
) -> keras.Model:
    """Builds the few-shot "Conv-4" embedding network of Vinyals et al. and Snell et al.

    Layout: `blocks` times `[3×3 conv, width] - BatchNorm - ReLU - 2×2 max-pool` (convs
    padded "same", pools unpadded: 28 → 14 → 7 → 3 → 1 on Omniglot's 28×28 drawings, so the
    flattened feature has `width` numbers there), then a linear `Dense(embedding_dim)` named
    `"embedding"`. The papers use the flattened conv feature itself (64-d); kzoo adds the
    projection so that every zoo backbone ends in an embedding of a chosen size.

    Args:
        input_shape: (height, width, channels), channels last; each side must survive
            `blocks` halvings (at least `2**blocks` pixels).
        embedding_dim: size of the output embedding.
        width: filters of every conv (the papers: 64).
        blocks: number of conv blocks (the papers: 4).
        name: model name.

    Example:
    >>> model = build_conv4()
    >>> model.output_shape
    (None, 128)

    References:
        Vinyals, Blundell, Lillicrap, Kavukcuoglu, Wierstra. Matching Networks for One Shot
        Learning. NeurIPS 2016. https://arxiv.org/abs/1606.04080
        Snell, Swersky, Zemel. Prototypical Networks for Few-shot Learning. NeurIPS 2017.
        https://arxiv.org/abs/1703.05175
    """
    for arg, value in (("embedding_dim", embedding_dim), ("width", width), ("blocks", blocks)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be a positive int, got {value!r}.")
    shape = tuple(input_shape)
    if len(shape) != 3:
        raise ValueError(f"`input_shape` must be (height, width, channels), got {shape!r}.")
    if min(shape[:2]) < 2**blocks:
        raise ValueError(
            f"`input_shape` {shape!r} is too small for {blocks} blocks of 2×2 pooling: each "
            f"side needs at least {2**blocks} pixels."
        )

    image = keras.Input(shape, name="image")
    x = image
    for block in range(1, blocks + 1):
        x = keras.layers.Conv2D(
            width,
            3,
            padding="same",
            use_bias=False,
            kernel_initializer="he_normal",
            name=f"block{block}_conv",
        )(x)
        x = keras.layers.BatchNormalization(name=f"block{block}_bn")(x)
        x = keras.layers.ReLU(name=f"block{block}_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    embedding = keras.layers.Dense(embedding_dim, name="embedding")(x)
    return keras.Model(image, embedding, name=name or "conv4")


register_backbone("conv4", build_conv4)
