"""Retrieval metrics on embeddings: Recall@k and MAP@R (pure NumPy, chunked)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _as_inputs(embeddings: Any, labels: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    e, y = np.asarray(embeddings, dtype=np.float32), np.asarray(labels).reshape(-1)
    if e.ndim != 2:
        raise ValueError(f"{name}embeddings must be 2-D (n, dim), got shape {e.shape}.")
    if len(y) != len(e):
        raise ValueError(
            f"{name}labels must have one label per embedding: "
            f"{len(y)} labels for {len(e)} embeddings."
        )
    return e, y


def _neighbors(
    query: np.ndarray, ref: np.ndarray, k: int, exclude_self: bool, distance: str, chunk: int
) -> np.ndarray:
    if distance not in ("l2", "angular"):
        raise ValueError(f"distance must be 'l2' or 'angular', got {distance!r}.")
    if distance == "angular":
        query = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
        ref = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
    ref_sq = np.sum(ref.astype(np.float64) ** 2, axis=1)
    out = np.empty((len(query), k), dtype=np.int64)
    for start in range(0, len(query), chunk):
        q = query[start : start + chunk].astype(np.float64)
        if distance == "l2":
            d = (
                np.sum(q**2, axis=1, keepdims=True)
                + ref_sq[None]
                - 2.0 * q @ ref.T.astype(np.float64)
            )
        else:
            d = -(q @ ref.T.astype(np.float64))
        if exclude_self:
            rows = np.arange(len(q))
            d[rows, start + rows] = np.inf
        part = (
            np.argpartition(d, k - 1, axis=1)[:, :k]
            if k < d.shape[1]
            else np.argsort(d, axis=1)[:, :k]
        )
        order = np.argsort(np.take_along_axis(d, part, axis=1), axis=1, kind="stable")
        out[start : start + len(q)] = np.take_along_axis(part, order, axis=1)
    return out


def recall_at_k(
    embeddings: Any,
    labels: Any,
    k: int = 1,
    reference_embeddings: Any = None,
    reference_labels: Any = None,
    distance: str = "l2",
    chunk: int = 1024,
) -> float:
    """Fraction of queries with at least one same-label item among their `k` nearest references.

    Without references, every embedding is a query against all the others (leave-one-out).
    Recall@1 equals the accuracy of a 1-nearest-neighbour classifier ("precision@1").

    Example:
    >>> recall_at_k(test_embeddings, test_labels, k=1)
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}.")
    q, yq = _as_inputs(embeddings, labels, "")
    same = reference_embeddings is None
    r, yr = (q, yq) if same else _as_inputs(reference_embeddings, reference_labels, "reference_")
    if k > len(r) - int(same):
        raise ValueError(f"k={k} is larger than the number of references ({len(r) - int(same)}).")
    nn = _neighbors(q, r, k, same, distance, chunk)
    return float(np.mean(np.any(yr[nn] == yq[:, None], axis=1)))


def map_at_r(embeddings: Any, labels: Any, distance: str = "l2", chunk: int = 1024) -> float:
    """Mean Average Precision at R (Musgrave et al. 2020), leave-one-out on one set.

    For a query with `R` other items of its class, retrieve its `R` nearest neighbours and
    average the precision at each rank where the neighbour is relevant, divided by `R`:
    `MAP@R = 1/R sum_{i<=R} P(i) rel(i)`. Queries alone in their class are skipped.

    Example:
    >>> map_at_r(test_embeddings, test_labels)

    Reference: Musgrave, Belongie, Lim, "A Metric Learning Reality Check", ECCV 2020.
    """
    e, y = _as_inputs(embeddings, labels, "")
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    r_per_query = counts[inverse] - 1
    max_r = int(r_per_query.max()) if len(r_per_query) else 0
    if max_r < 1:
        raise ValueError("labels must contain at least one class with two or more items for MAP@R.")
    nn = _neighbors(e, e, max_r, True, distance, chunk)
    relevant = y[nn] == y[:, None]
    ranks = np.arange(1, max_r + 1)[None]
    within = ranks <= r_per_query[:, None]
    relevant &= within
    precision = np.cumsum(relevant, axis=1) / ranks
    ap = np.sum(precision * relevant, axis=1) / np.maximum(r_per_query, 1)
    return float(np.mean(ap[r_per_query > 0]))
