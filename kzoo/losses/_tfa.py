"""TF-Addons 0.23's loss-function plumbing (not public): metric names, float32 upcast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras import backend, ops

from kzoo.losses._base import MetricLoss, labels_and_embeddings, propagate_nan
from kzoo.ops.pairwise_distances import canonical_distance, pairwise_distances
from kzoo.utils.validation import nan_unless


def tfa_loss(
    y_true: Any,
    y_pred: Any,
    distance_metric: str | Callable,
    from_distances: Callable[[Any, Any], Any],
) -> Any:
    """Checks the inputs, computes the distances in float32 for float16/bfloat16 embeddings
    (as TF-Addons), applies `from_distances(labels, distances)` and casts back."""
    canonical_distance(distance_metric)
    labels, embeddings, valid = labels_and_embeddings(y_true, y_pred)
    dtype = backend.standardize_dtype(embeddings.dtype)
    precise = ops.cast(embeddings, "float32") if dtype in ("float16", "bfloat16") else embeddings
    loss = from_distances(labels, pairwise_distances(precise, distance_metric))
    loss = nan_unless(valid, propagate_nan(loss, precise))
    return ops.cast(loss, dtype)


class TFALoss(MetricLoss):
    """Base of the losses with TF-Addons' constructor: `distance_metric`, `name`, `**kwargs`.

    `distance=` is accepted as an alias of `distance_metric=` (kzoo's earlier spelling).
    """

    def __init__(self, distance_metric: str | Callable, name: str | None, kwargs: dict):
        kwargs = dict(kwargs)
        if "distance" in kwargs:
            distance_metric = kwargs.pop("distance")
        unknown = set(kwargs) - {"reduction", "dtype"}
        if unknown:
            raise TypeError(f"Unexpected keyword arguments: {sorted(unknown)}")
        super().__init__(distance=distance_metric, name=name, **kwargs)
        self.distance_metric = self.distance

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["distance_metric"] = config.pop("distance")
        return config
