"""Boolean label masks over a batch: positive pairs, negative pairs, valid triplets."""

from __future__ import annotations

from typing import Any

from keras import ops


def flatten_labels(labels: Any) -> Any:
    """Labels of shape `(batch,)` or `(batch, 1)` as a 1-D tensor."""
    if len(labels.shape) == 2 and labels.shape[1] not in (1, None):
        raise ValueError(
            f"labels (y_true) must have shape (batch,) or (batch, 1), got {tuple(labels.shape)}."
        )
    if len(labels.shape) > 2:
        raise ValueError(
            f"labels (y_true) must have shape (batch,) or (batch, 1), got {tuple(labels.shape)}."
        )
    return ops.reshape(labels, (-1,))


def same_label_mask(labels: Any) -> Any:
    """`M[i, j] = labels[i] == labels[j]` (diagonal included)."""
    labels = flatten_labels(labels)
    return ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))


def positive_mask(labels: Any) -> Any:
    """`M[i, j]`: same label and `i != j`."""
    same = same_label_mask(labels)
    return ops.logical_and(same, ops.logical_not(ops.eye(ops.shape(same)[0], dtype="bool")))


def negative_mask(labels: Any) -> Any:
    """`M[i, j]`: different labels."""
    return ops.logical_not(same_label_mask(labels))


def triplet_mask(labels: Any) -> Any:
    """`M[a, p, n]`: `(a, p)` a positive pair and `(a, n)` a negative pair."""
    return ops.logical_and(
        ops.expand_dims(positive_mask(labels), 2), ops.expand_dims(negative_mask(labels), 1)
    )
