"""Exact nearest-neighbour search on keras.ops (any backend), used when faiss is absent."""

from __future__ import annotations

import numpy as np
from keras import ops

METRICS = ("cosine", "l2")


def prepare(embeddings: np.ndarray, metric: str) -> np.ndarray:
    """Float32 embeddings as stored for `metric`: unit-normalised for cosine."""
    e = np.asarray(embeddings, dtype=np.float32)
    if metric == "cosine":
        e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    return e


def exact_search(
    queries: np.ndarray, references: np.ndarray, k: int, metric: str, chunk: int = 1024
) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices `(n, k)` of each query's `k` nearest references, nearest first.

    Both sets must already be `prepare`d. Cosine distance is `1 - cos`, l2 the Euclidean one.
    """
    refs = ops.convert_to_tensor(references)
    ref_sq = ops.sum(ops.square(refs), axis=1)
    distances, indices = [], []
    for start in range(0, len(queries), chunk):
        q = ops.convert_to_tensor(queries[start : start + chunk])
        dot = ops.matmul(q, ops.transpose(refs))
        if metric == "cosine":
            d = 1.0 - dot
        else:
            sq = ops.sum(ops.square(q), axis=1, keepdims=True) + ref_sq[None] - 2.0 * dot
            d = ops.sqrt(ops.maximum(sq, 0.0))
        neg, idx = ops.top_k(-d, k=k, sorted=True)
        distances.append(-ops.convert_to_numpy(neg))
        indices.append(ops.convert_to_numpy(idx))
    return (
        np.concatenate(distances).astype(np.float32),
        np.concatenate(indices).astype(np.int64),
    )
