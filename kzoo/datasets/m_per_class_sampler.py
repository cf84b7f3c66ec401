from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


class MPerClassSampler:
    """Batches of `batch_size // m` classes with `m` samples each (P x K sampling).

    The sampler that triplet, contrastive and margin losses need: every batch holds
    positives for every anchor. Within an epoch, each class's samples are drawn without
    replacement (reshuffled when used up); a class with fewer than `m` samples is
    drawn with replacement. Classes are chosen without replacement within a batch.
    Semantics follow PyTorch Metric Learning's `MPerClassSampler`.

    Args:
        labels: integer class label per sample.
        m: samples per class in a batch (K).
        batch_size: samples per batch; a multiple of `m`, at most `m` times the
            number of classes.
        length_before_new_iter: samples per epoch; the epoch has
            `length_before_new_iter // batch_size` batches. Defaults to `len(labels)`.
        seed: seed of the sampler's random generator.

    Example:
    >>> sampler = MPerClassSampler(y_train, m=4, batch_size=64)
    >>> for indices in sampler:   # 64 indices: 16 classes x 4 samples
    ...     x, y = x_train[indices], y_train[indices]
    """

    def __init__(
        self,
        labels: Sequence[int] | np.ndarray,
        m: int,
        batch_size: int,
        length_before_new_iter: int | None = None,
        seed: int | None = None,
    ):
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.size == 0 or labels.dtype.kind not in "iu":
            raise ValueError(
                f"labels must be a non-empty 1-D integer array, got shape {labels.shape} "
                f"dtype {labels.dtype}."
            )
        if not isinstance(m, (int, np.integer)) or m < 1:
            raise ValueError(f"m must be a positive int, got {m!r}.")
        classes, inverse = np.unique(labels, return_inverse=True)
        if not isinstance(batch_size, (int, np.integer)) or batch_size < m or batch_size % m:
            raise ValueError(
                f"batch_size must be a positive multiple of m={m}, got {batch_size!r}."
            )
        if batch_size // m > len(classes):
            raise ValueError(
                f"batch_size={batch_size} needs {batch_size // m} classes of m={m}, "
                f"but labels hold only {len(classes)} classes."
            )
        length = len(labels) if length_before_new_iter is None else int(length_before_new_iter)
        if length < batch_size:
            raise ValueError(
                f"length_before_new_iter={length} is smaller than batch_size={batch_size}."
            )
        self.labels = labels
        self.m = int(m)
        self.batch_size = int(batch_size)
        self.length_before_new_iter = length
        self.seed = seed
        self.classes = classes
        self._members = [np.flatnonzero(inverse == c) for c in range(len(classes))]
        self._rng = np.random.default_rng(seed)
        self._plan = self._new_plan()

    def __len__(self) -> int:
        return self.length_before_new_iter // self.batch_size

    def _new_plan(self) -> np.ndarray:
        rng = self._rng
        queues = [rng.permutation(members) for members in self._members]
        cursor = np.zeros(len(queues), dtype=np.int64)
        per_batch = self.batch_size // self.m
        batches = np.empty((len(self), self.batch_size), dtype=np.int64)
        for b in range(len(self)):
            chosen = rng.choice(len(queues), size=per_batch, replace=False)
            for j, c in enumerate(chosen):
                members = self._members[c]
                if len(members) < self.m:
                    picked = rng.choice(members, size=self.m, replace=True)
                else:
                    if cursor[c] + self.m > len(queues[c]):
                        queues[c] = rng.permutation(members)
                        cursor[c] = 0
                    picked = queues[c][cursor[c] : cursor[c] + self.m]
                    cursor[c] += self.m
                batches[b, j * self.m : (j + 1) * self.m] = picked
        return batches

    def batch(self, index: int) -> np.ndarray:
        """Indices of batch `index` of the current epoch."""
        return self._plan[index]

    def on_epoch_end(self) -> None:
        """Draws the next epoch's batches."""
        self._plan = self._new_plan()

    def __iter__(self) -> Iterator[np.ndarray]:
        yield from self._plan
        self.on_epoch_end()
