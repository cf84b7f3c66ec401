"""Cross-batch memory (XBM): a pair loss against a queue of past embeddings."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses.pair_loss import PairLoss, labels_and_embeddings
from kzoo.ops.masked_logsumexp import cosine_similarity_matrix
from kzoo.utils.validation import check_int


@keras.saving.register_keras_serializable(package="kzoo")
class CrossBatchMemory(keras.layers.Layer):
    """Turns a pair-based kzoo loss into one over a memory of past embeddings (XBM).

    Semantics of PyTorch Metric Learning's `CrossBatchMemory(loss, embedding_size,
    memory_size, miner)`: each training call first enqueues the batch (embeddings without
    gradient, and labels) into a ring buffer of `memory_size` slots, then evaluates `loss` on
    the similarities of the batch (queries) to every filled slot (references); the pair of a
    sample with its own slot is removed. With `miner` (e.g. `kzoo.miners.MultiSimilarityMiner`)
    the pairs are mined before that removal, as in PML (a `MultiSimilarityLoss(epsilon=...)`
    mines its own pairs after it; use `miner=` for PML's order). The queue (`embedding_memory`,
    `label_memory`, `queue_idx`, `num_filled`) is non-trainable weights: it is saved in
    `.keras` files and checkpoints, and updated inside compiled train steps (TF and JAX).

    Called as `xbm([embeddings, labels])` it adds the loss with `add_loss` and returns the
    embeddings unchanged, so it sits in a training model whose other loss may be None. With
    `training=False` (evaluation) the queue is left alone and the loss is `loss` on the batch
    alone; called as `xbm(embeddings)` it is the identity. `memory_loss` returns the value.

    Args:
        loss: a `kzoo.losses.pair_loss.PairLoss` (MultiSimilarityLoss, CircleLoss, SupConLoss,
            NTXentLoss).
        embedding_size: the embedding dimension.
        memory_size: the number of slots (≥ the batch size). Default 1024.
        miner: None, or an object with `pair_masks(similarities, positives, negatives)`.
        **kwargs: base `keras.layers.Layer` arguments.

    Example:
    >>> xbm = kzoo.losses.CrossBatchMemory(kzoo.losses.MultiSimilarityLoss(), 128, 4096)
    >>> train_model = keras.Model([images, labels], xbm([backbone(images), labels]))
    >>> train_model.compile("adam")

    Reference: Wang, Zhang, Huang, Scott, "Cross-Batch Memory for Embedding Learning",
    CVPR 2020.
    """

    def __init__(
        self,
        loss: Any,
        embedding_size: int,
        memory_size: int = 1024,
        miner: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(loss, dict):
            loss = keras.saving.deserialize_keras_object(loss)
        if not isinstance(loss, PairLoss):
            raise TypeError(
                "`loss` must be a pair-based kzoo loss (a kzoo.losses.pair_loss.PairLoss such as "
                f"MultiSimilarityLoss). Received: loss={loss!r}"
            )
        if isinstance(miner, dict):
            miner = keras.saving.deserialize_keras_object(miner)
        if miner is not None and not callable(getattr(miner, "pair_masks", None)):
            raise TypeError(
                "`miner` must be None or have a `pair_masks(similarities, positives, negatives)` "
                f"method. Received: miner={miner!r}"
            )
        self.loss = loss
        self.embedding_size = check_int("embedding_size", embedding_size, 1)
        self.memory_size = check_int("memory_size", memory_size, 1)
        self.miner = miner

    def build(self, input_shape: Any = None) -> None:
        size, dim = self.memory_size, self.embedding_size
        self.embedding_memory = self.add_weight(
            name="embedding_memory", shape=(size, dim), initializer="zeros", trainable=False
        )
        self.label_memory = self.add_weight(
            name="label_memory", shape=(size,), initializer="zeros", dtype="int32", trainable=False
        )
        self.queue_idx = self.add_weight(
            name="queue_idx", shape=(), initializer="zeros", dtype="int32", trainable=False
        )
        self.num_filled = self.add_weight(
            name="num_filled", shape=(), initializer="zeros", dtype="int32", trainable=False
        )

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not isinstance(inputs, (list, tuple)):
            return inputs
        if len(inputs) != 2:
            raise ValueError(f"CrossBatchMemory takes [embeddings, labels], got {len(inputs)}.")
        embeddings, labels = inputs
        self.add_loss(self.memory_loss(embeddings, labels, training=training))
        return embeddings

    def memory_loss(self, embeddings: Any, labels: Any, training: bool | None = True) -> Any:
        """Enqueues the batch (unless `training` is False); returns the loss against the memory."""
        labels, embeddings = labels_and_embeddings(labels, ops.convert_to_tensor(embeddings))
        if embeddings.shape[-1] is not None and embeddings.shape[-1] != self.embedding_size:
            raise ValueError(
                f"embeddings have dimension {embeddings.shape[-1]} but "
                f"embedding_size={self.embedding_size}."
            )
        batch = embeddings.shape[0]
        if batch is not None and batch > self.memory_size:
            raise ValueError(f"The batch ({batch}) must not exceed memory_size={self.memory_size}.")
        if not self.built:
            self.build()
        embeddings = ops.cast(embeddings, "float32")
        labels = ops.cast(labels, "int32")
        if training is False:
            return self.loss(labels, embeddings)
        n = ops.shape(embeddings)[0]
        slots = (
            ops.cast(self.queue_idx, "int32") + ops.arange(n, dtype="int32")
        ) % self.memory_size
        memory = ops.scatter_update(
            ops.convert_to_tensor(self.embedding_memory),
            ops.expand_dims(slots, 1),
            ops.stop_gradient(embeddings),
        )
        memory_labels = ops.scatter_update(
            ops.convert_to_tensor(self.label_memory), ops.expand_dims(slots, 1), labels
        )
        filled = ops.minimum(ops.cast(self.num_filled, "int32") + n, self.memory_size)
        self.embedding_memory.assign(memory)
        self.label_memory.assign(memory_labels)
        self.queue_idx.assign((ops.cast(self.queue_idx, "int32") + n) % self.memory_size)
        self.num_filled.assign(filled)

        similarities = cosine_similarity_matrix(embeddings, memory)
        slot_ids = ops.arange(self.memory_size, dtype="int32")
        valid = ops.expand_dims(slot_ids < filled, 0)
        same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(memory_labels, 0))
        positives = ops.logical_and(same, valid)
        negatives = ops.logical_and(ops.logical_not(same), valid)
        if self.miner is not None:
            positives, negatives = self.miner.pair_masks(similarities, positives, negatives)
        is_self = ops.equal(ops.expand_dims(slots, 1), ops.expand_dims(slot_ids, 0))
        positives = ops.logical_and(positives, ops.logical_not(is_self))
        return self.loss.pair_loss(similarities, positives, negatives)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if isinstance(input_shape, (list, tuple)) and isinstance(input_shape[0], (list, tuple)):
            return tuple(input_shape[0])
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "loss": keras.saving.serialize_keras_object(self.loss),
                "embedding_size": self.embedding_size,
                "memory_size": self.memory_size,
                "miner": None
                if self.miner is None
                else keras.saving.serialize_keras_object(self.miner),
            }
        )
        return config
