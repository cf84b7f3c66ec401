"""Shared plumbing of the kzoo metric-learning losses (not public)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from kzoo.ops.pairwise_distances import (
    canonical_distance,
    distance_config,
    distance_from_config,
    pairwise_distances,
)
from kzoo.utils.validation import Shown, check_batch, check_labels, fail, nan_unless


def labels_and_embeddings(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    """Checks Keras-convention inputs: integer labels `(B,)`/`(B, 1)`, embeddings `(B, D)`.

    Returns the flat int32 labels, the embeddings, and the labels' validity (None when
    checked eagerly; a boolean tensor in a compiled step, see `check_labels`).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_pred.shape) != 2:
        fail("y_pred", "2-D embeddings (batch, dim)", Shown(f"<shape {tuple(y_pred.shape)}>"))
    labels, valid = check_labels(y_true, "y_true")
    check_batch("y_true", labels.shape[0], "y_pred", y_pred.shape[0])
    return labels, y_pred, valid


def propagate_nan(loss: Any, values: Any) -> Any:
    """`loss + 0 * sum(values)`: a NaN or Inf anywhere in `values` makes the loss NaN.

    Masked selections (`where`, masked means) drop the value of a NaN embedding but not its
    NaN gradient; adding this zero keeps the value honest so `TerminateOnNaN` fires.
    """
    values = ops.cast(values, loss.dtype)
    return loss + ops.sum(values * 0.0)


class MetricLoss(keras.losses.Loss):
    """Base of the embedding losses: validates the distance and computes the matrix once."""

    def __init__(
        self,
        distance: str | Callable = "L2",
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
        labels, embeddings, valid = labels_and_embeddings(y_true, y_pred)
        loss = self.compute(labels, embeddings, self.distances(embeddings))
        return nan_unless(valid, propagate_nan(loss, embeddings))

    def compute(self, labels: Any, embeddings: Any, distances: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "distance": distance_config(self.distance)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        config = dict(config)
        for key in ("distance", "distance_metric"):
            if key in config:
                config[key] = distance_from_config(config[key])
        return cls(**config)
