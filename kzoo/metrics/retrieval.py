"""Retrieval metrics on embeddings: Recall@k and MAP@R (pure NumPy, chunked).

PML's full set (R-precision, MRR, NMI, AMI, ...) is `kzoo.metrics.AccuracyCalculator`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kzoo.metrics.knn_ranking import as_inputs, average_precision, nearest_neighbors


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
    q, yq = as_inputs(embeddings, labels, "")
    same = reference_embeddings is None
    r, yr = (q, yq) if same else as_inputs(reference_embeddings, reference_labels, "reference_")
    if k > len(r) - int(same):
        raise ValueError(f"k={k} is larger than the number of references ({len(r) - int(same)}).")
    nn = nearest_neighbors(q, r, k, same, distance, chunk)
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
    e, y = as_inputs(embeddings, labels, "")
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    r_per_query = counts[inverse] - 1
    max_r = int(r_per_query.max()) if len(r_per_query) else 0
    if max_r < 1:
        raise ValueError("labels must contain at least one class with two or more items for MAP@R.")
    nn = nearest_neighbors(e, e, max_r, True, distance, chunk)
    keep = r_per_query > 0
    same = y[nn[keep]] == y[keep, None]
    return float(np.mean(average_precision(same, r_per_query[keep], at_r=True)))
