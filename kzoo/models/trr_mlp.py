"""The MLP of the TRR seed's synthetic experiment: features -> [embedding, logits]."""

from __future__ import annotations

import keras

from kzoo.utils.validation import check_int


def build_trr_mlp(
    num_features: int = 100,
    num_classes: int = 10,
    hidden: int = 256,
    depth: int = 3,
    keep_rate: float = 0.6,
    name: str | None = None,
) -> keras.Model:
    """Builds the TRR seed's classifier: `depth` Dense+ReLU layers, dropout, a linear output.

    Layout: `features` (a flat vector) -> `depth` x [`Dense(hidden, relu)` named `dense_i`,
    `Dropout(1 - keep_rate)`] -> `Dense(num_classes)` named `"logits"`. The model has two
    outputs, in this order: `"embedding"`, the last hidden layer's ReLU output (before its
    dropout; the features the TRR loss acts on, compare them by Euclidean distance), and
    `"logits"`. Train the classifier alone with `keras.Model(model.input, model.outputs[1])`
    (e.g. inside `kzoo.models.TripletFeatureModel`, with `feature_layers=["dense_0", ...]`);
    it shares the weights.

    Args:
        num_features: length of the input vector (the seed: 100).
        num_classes: number of classes (the seed: 10).
        hidden: width of every hidden layer (the seed does not give it; kzoo uses 256).
        depth: number of hidden Dense+ReLU layers (the seed's `num_dense_layer`: 3).
        keep_rate: dropout keep probability after each hidden layer (the seed: 0.6).
        name: model name (default `"trr_mlp"`).

    Example:
    >>> model = build_trr_mlp(hidden=64)
    >>> embedding, logits = model(keras.ops.zeros((2, 100)))
    >>> embedding.shape, logits.shape
    ((2, 64), (2, 10))

    Reference:
        Triplet Response Residual (TRR) and feature representation learning (the TRR seed,
        seed 000), Figure 1 and its hyper-parameters.
    """
    num_features = check_int("num_features", num_features, 1)
    num_classes = check_int("num_classes", num_classes, 2)
    hidden = check_int("hidden", hidden, 1)
    depth = check_int("depth", depth, 1)
    if isinstance(keep_rate, bool) or not isinstance(keep_rate, (int, float)):
        raise TypeError(f"`keep_rate` must be a number in (0, 1], got {keep_rate!r}.")
    if not 0.0 < keep_rate <= 1.0:
        raise ValueError(f"`keep_rate` must be in (0, 1], got {keep_rate!r}.")
    inputs = keras.Input((num_features,), name="features")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(hidden, activation="relu", name=f"dense_{i}")(x)
        if i == depth - 1:
            embedding = keras.layers.Identity(name="embedding")(x)
        x = keras.layers.Dropout(1.0 - keep_rate, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, [embedding, logits], name=name or "trr_mlp")
