"""Pairwise distance matrices shared by every kzoo metric-learning loss and miner.

The distance names are TF-Addons 0.23's `distance_metric` names: "L2" is the plain Euclidean
distance, "squared-L2" the squared one and "angular" `1 - cos`. A callable mapping the
`(B, D)` embeddings to a `(B, B)` matrix is accepted wherever a name is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from kzoo.ops.l2_normalize import l2_normalize

DISTANCES = ("L2", "squared-L2", "angular")
# Other spellings accepted for the same three distances (kzoo's earlier lower-case names).
_ALIASES = {
    "l2": "L2",
    "euclidean": "L2",
    "squared_l2": "squared-L2",
    "squared_euclidean": "squared-L2",
    "cosine": "angular",
}


def canonical_distance(distance: str | Callable) -> str | Callable:
    """Validates a distance name (or callable) and returns its canonical name ("L2", ...)."""
    if callable(distance):
        return distance
    if not isinstance(distance, str):
        raise TypeError(
            f"`distance_metric` must be one of {DISTANCES} or a callable. "
            f"Received: distance_metric={distance!r}"
        )
    name = _ALIASES.get(distance, distance)
    if name not in DISTANCES:
        raise ValueError(
            f"`distance_metric` must be one of {DISTANCES} or a callable. "
            f"Received: distance_metric={distance!r}"
        )
    return name


def distance_config(distance: str | Callable) -> Any:
    """A distance for `get_config`: the name, or the serialized callable."""
    if isinstance(distance, str):
        return distance
    return keras.saving.serialize_keras_object(distance)


def distance_from_config(distance: Any) -> str | Callable:
    """Inverse of `distance_config`."""
    if isinstance(distance, dict):
        return keras.saving.deserialize_keras_object(distance)
    return distance


def safe_sqrt(x: Any) -> Any:
    """`sqrt(x)` for `x >= 0` whose value and gradient are 0 (not inf/NaN) where `x <= 0`.

    NaN stays NaN (in the value and the gradient), so a bad input is never hidden.
    """
    positive = ops.greater(x, 0.0)
    root = ops.sqrt(ops.where(positive, x, ops.ones_like(x)))
    return ops.where(positive, root, x * 0.0)


def squared_l2_distances(x: Any) -> Any:
    """`D[i, j] = ||x_i - x_j||^2` via the Gram matrix, clipped at 0, zero diagonal.

    The same arithmetic as TF-Addons' `pairwise_distance(..., squared=True)`.
    """
    squared_norms = ops.sum(ops.square(x), axis=1)
    gram = ops.matmul(x, ops.transpose(x))
    d = ops.expand_dims(squared_norms, 1) + ops.expand_dims(squared_norms, 0) - 2.0 * gram
    d = ops.maximum(d, 0.0)
    return d * (1.0 - ops.eye(ops.shape(x)[0], dtype=d.dtype))


def angular_distances(x: Any) -> Any:
    """`D[i, j] = max(1 - cos(x_i, x_j), 0)`, TF-Addons' `angular_distance`.

    A zero vector has cosine 0 with everything (distance 1).
    """
    normed = l2_normalize(x, epsilon=1e-6)
    return ops.maximum(1.0 - ops.matmul(normed, ops.transpose(normed)), 0.0)


def pairwise_distances(x: Any, distance: str | Callable = "L2") -> Any:
    """Pairwise distance matrix of a batch of embeddings.

    Args:
        x: float tensor `(batch, dim)`.
        distance: "L2" (Euclidean), "squared-L2" (squared Euclidean), "angular"
            (1 - cosine similarity), or a callable `(batch, dim) -> (batch, batch)`.

    Returns:
        `(batch, batch)` tensor with the dtype of `x`. Euclidean distances use a square root
        whose gradient is 0 on the diagonal and between duplicates (never NaN).

    Example:
    >>> pairwise_distances(np.eye(3, dtype="float32"), "squared-L2")[0, 1]   # 2.0
    """
    name = canonical_distance(distance)
    if len(x.shape) != 2:
        raise ValueError(
            f"`y_pred` must be a 2-D (batch, dim) tensor. Received: shape={tuple(x.shape)}"
        )
    if callable(name):
        return name(x)
    if name == "angular":
        return angular_distances(x)
    squared = squared_l2_distances(x)
    return squared if name == "squared-L2" else safe_sqrt(squared)


def paired_distances(a: Any, b: Any, distance: str = "squared-L2") -> Any:
    """Row-wise distance `d(a_i, b_i)` over the last axis (no Gram matrix, no cancellation)."""
    name = canonical_distance(distance)
    if callable(name):
        raise TypeError("`paired_distances` takes a distance name, not a callable.")
    if name == "angular":
        return ops.maximum(
            1.0 - ops.sum(l2_normalize(a, epsilon=1e-6) * l2_normalize(b, epsilon=1e-6), axis=-1),
            0.0,
        )
    squared = ops.sum(ops.square(a - b), axis=-1)
    return squared if name == "squared-L2" else safe_sqrt(squared)
