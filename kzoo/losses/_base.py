"""Shared plumbing of the kzoo metric-learning losses (not public)."""

from __future__ import annotations

from typing import Any

import keras

from kzoo.ops.label_masks import flatten_labels
from kzoo.ops.pairwise_distances import canonical_distance, pairwise_distances


def check_number(name: str, value: Any, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}.")
    return float(value)


def labels_and_embeddings(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Validates Keras-convention inputs: integer labels `(B,)`/`(B, 1)`, embeddings `(B, D)`."""
    if len(y_pred.shape) != 2:
        raise ValueError(
            f"y_pred must be 2-D embeddings (batch, dim), got shape {tuple(y_pred.shape)}."
        )
    labels = flatten_labels(y_true)
    if (
        labels.shape[0] is not None
        and y_pred.shape[0] is not None
        and labels.shape[0] != y_pred.shape[0]
    ):
        raise ValueError(
            f"y_true has {labels.shape[0]} labels but y_pred has {y_pred.shape[0]} embeddings."
        )
    return labels, y_pred


class MetricLoss(keras.losses.Loss):
    """Base of the embedding losses: validates the distance and computes the matrix once."""

    def __init__(
        self,
        distance: str = "l2",
        name: str | None = None,
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        canonical_distance(distance)
        self.distance = distance

    def distances(self, embeddings: Any) -> Any:
        return pairwise_distances(embeddings, self.distance)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        labels, embeddings = labels_and_embeddings(y_true, y_pred)
        return self.compute(labels, embeddings, self.distances(embeddings))

    def compute(self, labels: Any, embeddings: Any, distances: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "distance": self.distance}
