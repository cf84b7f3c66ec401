"""Exact nearest-neighbour ranks and the per-query ranking scores the retrieval metrics share."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_inputs(embeddings: Any, labels: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Float32 `(n, dim)` embeddings and flat labels, checked; `name` prefixes error messages."""
    e, y = np.asarray(embeddings, dtype=np.float32), np.asarray(labels).reshape(-1)
    if e.ndim != 2:
        raise ValueError(f"{name}embeddings must be 2-D (n, dim), got shape {e.shape}.")
    if len(y) != len(e):
        raise ValueError(
            f"{name}labels must have one label per embedding: "
            f"{len(y)} labels for {len(e)} embeddings."
        )
    if not np.all(np.isfinite(e)):
        raise ValueError(f"{name}embeddings contain NaN or inf values.")
    return e, y


def nearest_neighbors(
    query: np.ndarray, ref: np.ndarray, k: int, exclude_self: bool, distance: str, chunk: int
) -> np.ndarray:
    """Indices `(len(query), k)` of each query's `k` nearest references, nearest first.

    With `exclude_self`, query `i` is reference `i` and never its own neighbour.
    """
    if distance not in ("l2", "angular"):
        raise ValueError(f"distance must be 'l2' or 'angular', got {distance!r}.")
    if distance == "angular":
        query = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
        ref = ref / np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
    ref_sq = np.sum(ref.astype(np.float64) ** 2, axis=1)
    out = np.empty((len(query), k), dtype=np.int64)
    if k == 0:
        return out
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


def average_precision(same: np.ndarray, num_relevant: np.ndarray, at_r: bool) -> np.ndarray:
    """Per-query average precision over ranked hits `same` `(n, k)`, divided by `num_relevant`.

    With `at_r`, only the first `num_relevant` ranks count (MAP@R, Musgrave et al. 2020).
    """
    ranks = np.arange(1, same.shape[1] + 1)[None]
    hits = same & (ranks <= num_relevant[:, None]) if at_r else same
    precision = np.cumsum(hits, axis=1) / ranks
    return np.sum(precision * hits, axis=1) / num_relevant


def r_precision(same: np.ndarray, num_relevant: np.ndarray) -> np.ndarray:
    """Per-query fraction of hits among the first `R` neighbours (`R` capped at `k`)."""
    ranks = np.arange(1, same.shape[1] + 1)[None]
    within = ranks <= num_relevant[:, None]
    return np.sum(same & within, axis=1) / np.sum(within, axis=1)


def reciprocal_rank(same: np.ndarray) -> np.ndarray:
    """Per-query `1 / rank` of the first hit, 0 when no hit is among the `k` neighbours."""
    found = np.any(same, axis=1)
    first = np.argmax(same, axis=1) + 1.0
    return np.where(found, 1.0 / first, 0.0)
