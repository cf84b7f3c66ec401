from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


class TripletSampler:
    """Batches of (anchor, positive, negative) indices, as the TRR seed feeds its model.

    Each epoch visits every sample once as anchor, in a random order; its positive is
    another sample of the same class and its negative a sample of another class, both
    uniformly at random. A class with a single sample is its own positive.

    Args:
        labels: integer class label per sample; at least two classes.
        batch_size: triplets per batch; the last partial batch is kept.
        seed: seed of the sampler's random generator.

    Example:
    >>> sampler = TripletSampler(y_train, batch_size=32, seed=0)
    >>> a, p, n = sampler.batch(0)
    >>> bool((y_train[a] == y_train[p]).all() and (y_train[a] != y_train[n]).all())
    True
    """

    def __init__(
        self, labels: Sequence[int] | np.ndarray, batch_size: int, seed: int | None = None
    ):
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise ValueError(
                f"labels must be a 1-D integer array, got shape {labels.shape} "
                f"dtype {labels.dtype}."
            )
        classes, inverse = np.unique(labels, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"labels must hold at least two classes to draw negatives, got {len(classes)}."
            )
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
        self.labels = labels
        self.batch_size = int(batch_size)
        self.seed = seed
        self._inverse = inverse
        self._order = np.argsort(inverse, kind="stable")
        counts = np.bincount(inverse)
        self._start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self._count = counts
        self._rng = np.random.default_rng(seed)
        self._plan = self._new_plan()

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    def _new_plan(self) -> np.ndarray:
        rng, n = self._rng, len(self.labels)
        anchors = rng.permutation(n)
        cls = self._inverse[anchors]
        count = self._count[cls]
        # positive: uniform over the class's other members (itself when it is alone)
        pos_slot = rng.integers(0, np.maximum(count - 1, 1))
        anchor_slot = np.empty(n, dtype=np.int64)
        anchor_slot[self._order] = np.arange(n) - np.repeat(self._start, self._count)
        anchor_slot = anchor_slot[anchors]
        pos_slot = np.where((count > 1) & (pos_slot >= anchor_slot), pos_slot + 1, pos_slot)
        positives = self._order[self._start[cls] + np.minimum(pos_slot, count - 1)]
        # negative: uniform over the samples of all other classes
        neg_slot = rng.integers(0, n - count)
        neg_slot = np.where(neg_slot >= self._start[cls], neg_slot + count, neg_slot)
        negatives = self._order[neg_slot]
        return np.stack([anchors, positives, negatives])

    def batch(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(anchor, positive, negative) indices of batch `index` of the current epoch."""
        s = slice(index * self.batch_size, (index + 1) * self.batch_size)
        a, p, n = self._plan[:, s]
        return a, p, n

    def on_epoch_end(self) -> None:
        """Draws the next epoch's triplets."""
        self._plan = self._new_plan()

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for i in range(len(self)):
            yield self.batch(i)
        self.on_epoch_end()
