"""Metric bounds over every way of breaking ties: what is defined when scores tie.

A model whose class weights collapsed gives tied logits (and tied embedding similarities); which
tied class or neighbour wins then depends on the CPU's float kernels. These functions return the
(lowest, highest) value a metric can take over all tie-breaks, scores within `atol` of each other
counting as tied; a check compares the recorded figure with that interval.
"""

from __future__ import annotations

import numpy as np


def accuracy_bounds(logits, labels, atol=1e-5) -> tuple[float, float]:
    logits = np.asarray(logits, np.float64)
    labels = np.asarray(labels)
    top = logits >= logits.max(axis=1, keepdims=True) - atol * np.maximum(
        1.0, np.abs(logits).max(axis=1, keepdims=True)
    )
    hit = top[np.arange(len(labels)), labels]
    return float(np.mean(hit & (top.sum(1) == 1))), float(np.mean(hit))


def _similarities(embeddings):
    e = np.asarray(embeddings, np.float64)
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    sims = e @ e.T
    np.fill_diagonal(sims, -np.inf)
    return sims


def recall_at_1_bounds(embeddings, labels, atol=1e-5) -> tuple[float, float]:
    sims = _similarities(embeddings)
    labels = np.asarray(labels)
    top = sims >= sims.max(axis=1, keepdims=True) - atol
    same = labels[:, None] == labels[None, :]
    return float(np.mean((top <= same).all(1))), float(np.mean((top & same).any(1)))


def _tie_groups(sorted_sims, atol):
    """Group id of each position of a descending similarity row; a new group where a gap > atol."""
    gaps = np.diff(sorted_sims) < -atol
    return np.concatenate([[0], np.cumsum(gaps)])


def map_at_r_bounds(embeddings, labels, atol=1e-5) -> tuple[float, float]:
    sims = _similarities(embeddings)
    labels = np.asarray(labels)
    lows, highs = [], []
    for i in range(len(labels)):
        others = np.delete(np.arange(len(labels)), i)
        relevant = labels[others] == labels[i]
        r = int(relevant.sum())
        if r == 0:
            continue
        order = np.argsort(-sims[i, others], kind="stable")
        groups = _tie_groups(sims[i, others][order], atol)
        rel = relevant[order]
        values = []
        for first in (True, False):  # positives first in each tie group, then last
            key = np.lexsort((~rel if first else rel, groups))
            hits = rel[key][:r]
            precision = np.cumsum(hits) / np.arange(1, r + 1)
            values.append(float(np.sum(precision * hits) / r))
        highs.append(values[0])
        lows.append(values[1])
    return float(np.mean(lows)), float(np.mean(highs))
