"""Base of the losses on a similarity matrix with positive/negative pair masks."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.ops.label_masks import flatten_labels
from kzoo.ops.masked_logsumexp import cosine_similarity_matrix
from kzoo.utils.validation import check_float


class PairLoss(keras.losses.Loss):
    """A loss over the cosine similarities of a batch and the pairs they form.

    `call(y_true, y_pred)` L2-normalizes the embeddings, forms `S = cos(E, E)` and the masks
    of positive pairs (same label, `i != j`) and negative pairs (different labels), and returns
    `pair_loss(S, positives, negatives)`, a scalar. `kzoo.losses.CrossBatchMemory` calls
    `pair_loss` with the similarities of the batch to a memory of past embeddings instead, which
    is how any subclass becomes a cross-batch loss. As in PyTorch Metric Learning, the loss is 0
    when the batch has at most one positive and at most one negative pair.

    Subclasses implement `compute_pair_loss(similarities, positives, negatives)`.

    Args:
        name, reduction, dtype: as `keras.losses.Loss` (the loss is already a scalar).
    """

    def call(self, y_true: Any, y_pred: Any) -> Any:
        labels, embeddings = labels_and_embeddings(y_true, y_pred)
        embeddings = ops.cast(embeddings, "float32")
        similarities = cosine_similarity_matrix(embeddings, embeddings)
        same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))
        not_self = ops.logical_not(ops.eye(ops.shape(same)[0], dtype="bool"))
        positives = ops.logical_and(same, not_self)
        negatives = ops.logical_not(same)
        return self.pair_loss(similarities, positives, negatives)

    def pair_loss(self, similarities: Any, positives: Any, negatives: Any) -> Any:
        """The loss of query rows against reference columns, `(Q, R)` similarities and masks."""
        positives = ops.cast(positives, "bool")
        negatives = ops.cast(negatives, "bool")
        loss = self.compute_pair_loss(ops.cast(similarities, "float32"), positives, negatives)
        num_pos = ops.sum(ops.cast(positives, "int32"))
        num_neg = ops.sum(ops.cast(negatives, "int32"))
        too_few = ops.logical_and(num_pos <= 1, num_neg <= 1)
        return ops.where(too_few, ops.zeros_like(loss), loss)

    def compute_pair_loss(self, similarities: Any, positives: Any, negatives: Any) -> Any:
        raise NotImplementedError


def mean_of_nonzero(losses: Any) -> Any:
    """Mean over the entries that are not <= 0 (PML's `AvgNonZeroReducer`; NaN entries count)."""
    keep = ops.cast(ops.logical_not(losses <= 0.0), losses.dtype)
    count = ops.sum(keep)
    total = ops.sum(ops.where(keep > 0, losses, ops.zeros_like(losses)))
    return ops.where(count > 0, total / ops.maximum(count, 1.0), ops.zeros_like(total))


def check_real(name: str, value: Any, minimum: float | None = None, strict: bool = False) -> float:
    """A finite number (`>= minimum`, or `> minimum` when `strict`), as a float."""
    return check_float(name, value, minimum=minimum, min_inclusive=not strict)


def labels_and_embeddings(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """Integer labels `(B,)`/`(B, 1)` flattened, and 2-D embeddings `(B, D)`, checked."""
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_pred.shape) != 2:
        raise ValueError(
            "`y_pred` must be 2-D embeddings (batch, dim). "
            f"Received: y_pred with shape {tuple(y_pred.shape)}"
        )
    labels = flatten_labels(ops.convert_to_tensor(y_true))
    if None not in (labels.shape[0], y_pred.shape[0]) and labels.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"`y_true` (labels) must have one entry per row of `y_pred` ({y_pred.shape[0]}). "
            f"Received: {labels.shape[0]} labels"
        )
    return labels, y_pred
