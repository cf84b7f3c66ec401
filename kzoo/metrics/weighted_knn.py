"""Weighted k-nearest-neighbour classification of embeddings (Wu et al., CVPR 2018)."""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops


def _normalize(x: Any) -> Any:
    x = ops.cast(ops.convert_to_tensor(x), "float32")
    return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=-1, keepdims=True), 1e-12))


def _check(name: str, embeddings: Any, labels: Any) -> tuple[int, int]:
    shape = tuple(np.shape(embeddings))
    if len(shape) != 2:
        raise ValueError(f"`{name}_embeddings` must have shape (num, dim). Received shape: {shape}")
    label_shape = tuple(np.shape(labels))
    if label_shape != (shape[0],):
        raise ValueError(
            f"`{name}_labels` must have shape ({shape[0]},). Received shape: {label_shape}"
        )
    return shape


def weighted_knn_predict(
    query_embeddings: Any,
    reference_embeddings: Any,
    reference_labels: Any,
    k: int = 200,
    temperature: float = 0.07,
    num_classes: int | None = None,
    batch_size: int = 1024,
) -> np.ndarray:
    """Class scores of a temperature-weighted kNN vote, shape `(num_queries, num_classes)`.

    Embeddings are L2-normalised; each query takes its k most cosine-similar reference
    embeddings, and neighbour j votes for its class with weight exp(sⱼ/τ). (Scores are
    shifted by the query's top similarity before exponentiating: the argmax is unchanged.)

    Args:
        query_embeddings: `(q, d)` queries.
        reference_embeddings: `(n, d)` labelled reference set (e.g. the memory bank).
        reference_labels: `(n,)` integer labels in `[0, num_classes)`.
        k: neighbours (clipped to n). Defaults to 200.
        temperature: τ > 0 of the vote weights. Defaults to 0.07.
        num_classes: defaults to `max(reference_labels) + 1`.
        batch_size: queries per similarity block.

    Reference: Wu, Xiong, Yu, Lin, "Unsupervised Feature Learning via Non-Parametric
    Instance Discrimination", CVPR 2018, Sec. 3.5.
    """
    _, dim = _check("query", query_embeddings, np.zeros(np.shape(query_embeddings)[0]))
    num_ref, ref_dim = _check("reference", reference_embeddings, reference_labels)
    if dim != ref_dim:
        raise ValueError(f"`query_embeddings` dim {dim} != `reference_embeddings` dim {ref_dim}.")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"`k` must be an int >= 1. Received: k={k!r}")
    if not temperature > 0:
        raise ValueError(f"`temperature` must be > 0. Received: temperature={temperature!r}")
    labels_np = np.asarray(reference_labels).astype("int64")
    if num_classes is None:
        num_classes = int(labels_np.max()) + 1
    k = min(k, num_ref)
    reference = _normalize(reference_embeddings)
    labels = ops.convert_to_tensor(labels_np.astype("int32"))
    scores = []
    for start in range(0, int(np.shape(query_embeddings)[0]), batch_size):
        query = _normalize(np.asarray(query_embeddings)[start : start + batch_size])
        sims, idx = ops.top_k(ops.matmul(query, ops.transpose(reference)), k=k)
        weights = ops.exp((sims - sims[:, :1]) / temperature)
        votes = ops.one_hot(ops.take(labels, idx, axis=0), num_classes) * weights[..., None]
        scores.append(ops.convert_to_numpy(ops.sum(votes, axis=1)))
    return np.concatenate(scores, axis=0) if scores else np.zeros((0, num_classes), "float32")


def weighted_knn_accuracy(
    query_embeddings: Any,
    query_labels: Any,
    reference_embeddings: Any,
    reference_labels: Any,
    k: int = 200,
    temperature: float = 0.07,
    num_classes: int | None = None,
    batch_size: int = 1024,
) -> float:
    """Top-1 accuracy of the weighted kNN classifier (see `weighted_knn_predict`).

    Args:
        query_embeddings: `(q, d)` queries (e.g. validation embeddings).
        query_labels: `(q,)` their integer labels.
        reference_embeddings, reference_labels, k, temperature, num_classes, batch_size:
            as in `weighted_knn_predict`.

    Example:
    ```python
    acc = weighted_knn_accuracy(embed(x_val), y_val, embed(x_train), y_train, k=200)
    ```
    """
    _check("query", query_embeddings, query_labels)
    scores = weighted_knn_predict(
        query_embeddings,
        reference_embeddings,
        reference_labels,
        k,
        temperature,
        num_classes,
        batch_size,
    )
    return float(np.mean(np.argmax(scores, axis=-1) == np.asarray(query_labels).reshape(-1)))
