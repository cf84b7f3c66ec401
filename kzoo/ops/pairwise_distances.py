"""Pairwise distance matrices shared by every kzoo metric-learning loss and miner."""

from __future__ import annotations

from typing import Any

from keras import ops

from kzoo.ops.l2_normalize import l2_normalize

DISTANCES = ("l2", "squared_l2", "angular")
# TF-Addons' names: its "L_2" is the *squared* Euclidean distance and its "L_1" the plain one.
_ALIASES = {
    "L_2": "squared_l2",
    "L_1": "l2",
    "euclidean": "l2",
    "squared_euclidean": "squared_l2",
    "cosine": "angular",
}


def canonical_distance(distance: str) -> str:
    """Validates a distance name and returns its canonical form.

    Accepts "l2", "squared_l2", "angular", and TF-Addons' spellings ("L_2" = squared
    Euclidean, "L_1" = Euclidean, as in its code).
    """
    if not isinstance(distance, str):
        raise TypeError(
            f"distance must be a string, one of {DISTANCES}, got {type(distance).__name__}."
        )
    name = _ALIASES.get(distance, distance)
    if name not in DISTANCES:
        raise ValueError(
            f"distance must be one of {DISTANCES} (or 'L_2', 'L_1'), got {distance!r}."
        )
    return name


def safe_sqrt(x: Any) -> Any:
    """`sqrt(x)` for `x >= 0` whose value and gradient are 0 (not inf/NaN) where `x <= 0`."""
    positive = ops.greater(x, 0.0)
    return ops.where(
        positive, ops.sqrt(ops.where(positive, x, ops.ones_like(x))), ops.zeros_like(x)
    )


def squared_l2_distances(x: Any) -> Any:
    """`D[i, j] = ||x_i - x_j||^2` via the Gram matrix, clipped at 0, zero diagonal."""
    squared_norms = ops.sum(ops.square(x), axis=1)
    gram = ops.matmul(x, ops.transpose(x))
    d = ops.expand_dims(squared_norms, 1) + ops.expand_dims(squared_norms, 0) - 2.0 * gram
    d = ops.maximum(d, 0.0)
    return d * (1.0 - ops.eye(ops.shape(x)[0], dtype=d.dtype))


def angular_distances(x: Any) -> Any:
    """`D[i, j] = max(1 - cos(x_i, x_j), 1e-16)`, as TF-Addons' `angular_distance` (diagonal ~0).

    A zero vector has cosine 0 with everything (distance 1).
    """
    normed = l2_normalize(x, epsilon=1e-6)
    return ops.maximum(1.0 - ops.matmul(normed, ops.transpose(normed)), 1e-16)


def pairwise_distances(x: Any, distance: str = "l2") -> Any:
    """Pairwise distance matrix of a batch of embeddings.

    Args:
        x: float tensor `(batch, dim)`.
        distance: "l2" (Euclidean), "squared_l2" or "angular" (1 - cosine similarity).
            TF-Addons' "L_2"/"L_1" are accepted with TF-Addons' meaning.

    Returns:
        `(batch, batch)` tensor with the dtype of `x`. Euclidean distances use a square root
        whose gradient is 0 on the diagonal and between duplicates (never NaN).

    Example:
    >>> pairwise_distances(np.eye(3, dtype="float32"), "squared_l2")[0, 1]   # 2.0
    """
    name = canonical_distance(distance)
    if len(x.shape) != 2:
        raise ValueError(f"x must be a 2-D (batch, dim) tensor, got shape {tuple(x.shape)}.")
    if name == "angular":
        return angular_distances(x)
    squared = squared_l2_distances(x)
    return squared if name == "squared_l2" else safe_sqrt(squared)


def paired_distances(a: Any, b: Any, distance: str = "squared_l2") -> Any:
    """Row-wise distance `d(a_i, b_i)` over the last axis (no Gram matrix, no cancellation)."""
    name = canonical_distance(distance)
    if name == "angular":
        return ops.maximum(
            1.0 - ops.sum(l2_normalize(a, epsilon=1e-6) * l2_normalize(b, epsilon=1e-6), axis=-1),
            1e-16,
        )
    squared = ops.sum(ops.square(a - b), axis=-1)
    return squared if name == "squared_l2" else safe_sqrt(squared)
