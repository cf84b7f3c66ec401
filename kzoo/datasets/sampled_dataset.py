from __future__ import annotations

from typing import Any

import keras
import numpy as np

from kzoo.datasets.m_per_class_sampler import MPerClassSampler
from kzoo.datasets.triplet_sampler import TripletSampler


class SampledDataset(keras.utils.PyDataset):
    """A `keras.utils.PyDataset` that draws its batches from a kzoo sampler.

    With an `MPerClassSampler` it yields `(x[indices], y[indices])`; with a
    `TripletSampler` it yields `({"anchor": ..., "positive": ..., "negative": ...},
    y[anchor])`. Works with `model.fit` on every backend; a new epoch of batches is
    drawn at each epoch end.

    Args:
        x: array of inputs (first axis: samples).
        y: integer labels, aligned with `x`.
        sampler: an `MPerClassSampler` or `TripletSampler` built on `y`.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`, `use_multiprocessing`,
            `max_queue_size`).

    Example:
    >>> sampler = kzoo.datasets.MPerClassSampler(y_train, m=4, batch_size=64, seed=0)
    >>> model.fit(kzoo.datasets.SampledDataset(x_train, y_train, sampler), epochs=5)
    """

    def __init__(self, x: Any, y: Any, sampler: MPerClassSampler | TripletSampler, **kwargs: Any):
        super().__init__(**kwargs)
        if len(x) != len(y):
            raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}.")
        if not isinstance(sampler, (MPerClassSampler, TripletSampler)):
            raise TypeError(
                "sampler must be an MPerClassSampler or TripletSampler, "
                f"got {type(sampler).__name__}."
            )
        if len(sampler.labels) != len(y):
            raise ValueError(
                f"sampler was built on {len(sampler.labels)} labels but y has {len(y)}."
            )
        self.x = x
        self.y = np.asarray(y)
        self.sampler = sampler

    def __len__(self) -> int:
        return len(self.sampler)

    def __getitem__(self, index: int):
        if isinstance(self.sampler, TripletSampler):
            a, p, n = self.sampler.batch(index)
            return {"anchor": self.x[a], "positive": self.x[p], "negative": self.x[n]}, self.y[a]
        indices = self.sampler.batch(index)
        return self.x[indices], self.y[indices]

    def on_epoch_end(self) -> None:
        self.sampler.on_epoch_end()
