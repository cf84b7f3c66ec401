"""Partial FC class sampling: every positive class of the batch plus uniform negatives.

An, Deng, Guo, et al., "Killing Two Birds with One Stone: Efficient and Robust Training of Face
Recognition CNNs by Partial FC", CVPR 2022 (InsightFace `PartialFC_V2`).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


def num_sampled_classes(num_classes: int, sample_rate: float, num_shards: int = 1) -> int:
    """Classes kept per shard: `max(1, int(sample_rate · C / shards))`.

    InsightFace keeps all of a shard's positives when they outnumber this count; with static
    shapes the count is fixed, so it must be at least the number of distinct classes a batch
    has in one shard (`sample_classes` reports the labels it could not keep).

    Args:
        num_classes: C, divisible by `num_shards`.
        sample_rate: fraction of each shard's classes kept, in (0, 1].
        num_shards: number of contiguous class blocks sampled separately.
    """
    return max(1, int(sample_rate * (num_classes // num_shards)))


def sample_classes(
    labels: Any, num_classes: int, num_sampled: int, num_shards: int = 1, seed: Any = None
) -> tuple[Any, Any, Any]:
    """Samples `num_sampled` classes per shard, positives first, and remaps the labels.

    Within each of `num_shards` contiguous blocks of `num_classes / num_shards` classes, the
    batch's classes get score 2 and the others a uniform score in [0, 1); the top
    `num_sampled` per block are kept (all positives, then random negatives), in ascending order.

    Args:
        labels: int tensor `(batch,)` of class ids in [0, num_classes).
        num_classes: C.
        num_sampled: classes kept per shard (see `num_sampled_classes`).
        num_shards: number of class blocks (the model-parallel shards of the class axis).
        seed: a `keras.random.SeedGenerator` or int for the negatives.

    Returns:
        `(index, remapped, found)`: the sorted kept class ids `(num_shards·num_sampled,)`, each
        label's position in `index`, and whether the label was kept (False only when a shard
        has more positives than `num_sampled`).

    Example:
    >>> index, remapped, found = sample_classes(labels, 1000, 100)
    >>> sampled_logits = logits_over(kernel[:, index]); target = remapped
    """
    labels = ops.cast(labels, "int32")
    local = num_classes // num_shards
    scores = keras.random.uniform((num_classes,), seed=seed)
    scores = ops.scatter_update(
        scores, ops.expand_dims(labels, -1), ops.full(ops.shape(labels), 2.0)
    )
    _, top = ops.top_k(ops.reshape(scores, (num_shards, local)), k=num_sampled, sorted=False)
    offsets = ops.expand_dims(ops.arange(num_shards, dtype="int32") * local, -1)
    index = ops.reshape(ops.sort(ops.cast(top, "int32"), axis=-1) + offsets, (-1,))
    remapped = ops.cast(ops.searchsorted(index, labels), "int32")
    remapped = ops.minimum(remapped, num_shards * num_sampled - 1)
    found = ops.equal(ops.take(index, remapped), labels)
    return index, remapped, found
