"""Base of the losses on a similarity matrix with positive/negative pair masks."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses._base import labels_and_embeddings
from kzoo.ops.masked_logsumexp import cosine_similarity_matrix


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
        labels, embeddings = labels_and_embeddings(y_true, ops.convert_to_tensor(y_pred))
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
