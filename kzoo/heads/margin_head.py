"""Base class of the margin-softmax heads: class weights, label checks, cosine logits."""

from __future__ import annotations

import warnings
from typing import Any

import keras
from keras import ops

from kzoo.ops.l2_normalize import l2_normalize, safe_norm
from kzoo.utils.validation import check_int, check_labels_array, concrete


@keras.saving.register_keras_serializable(package="kzoo")
class MarginHead(keras.layers.Layer):
    """A classifier layer over embeddings owning a `(embedding_dim, num_classes)` weight matrix.

    Called as `head([embeddings, labels])` it returns logits with the margin applied to each
    sample's target class; called as `head(embeddings)` it returns the margin-free logits (the
    plain cosine / scaled-cosine classifier used at inference). Train with ordinary
    `SparseCategoricalCrossentropy(from_logits=True)`.

    Subclasses override `margin_cosine` (the target-class transform of cos θ) and `scale_logits`
    (cos θ to logits, e.g. `s·cos θ` or `‖x‖‖w‖·cos θ`). Everything is computed in float32 and
    the logits are cast to the layer's compute dtype, so float16/bfloat16 policies stay finite.

    Labels: integer ids of shape `(batch,)` or `(batch, 1)` (integer-valued floats are accepted
    and cast). Labels that are not integer-valued or outside `[0, num_classes)` raise a
    `ValueError` when they are concrete (eager calls); in a
    compiled graph they cannot raise on every backend, so their rows become NaN, which makes the
    loss NaN instead of silently dropping the margin.

    The kernel layout `(embedding_dim, num_classes)` is the one of PyTorch Metric Learning's `W`.

    Args:
        num_classes: number of classes (> 1).
        kernel_initializer: initializer of the class weights.
        kernel_regularizer: optional regularizer of the class weights.
        kernel_constraint: optional constraint of the class weights.
        **kwargs: base `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Example:
    >>> head = kzoo.heads.CosFace(num_classes=10, scale=30.0, margin=0.35)
    >>> train_logits = head([embeddings, labels]); test_logits = head(embeddings)
    """

    def __init__(
        self,
        num_classes: int,
        kernel_initializer: Any = "glorot_uniform",
        kernel_regularizer: Any = None,
        kernel_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_classes = check_int("num_classes", num_classes, 2)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self._warned_without_labels = False

    def build(self, input_shape: Any) -> None:
        embedding_shape = input_shape[0] if _is_pair(input_shape) else input_shape
        if len(embedding_shape) != 2 or embedding_shape[-1] is None:
            raise ValueError(
                "`embeddings` must have shape (batch, embedding_dim) with a known embedding_dim, "
                f"got shape {tuple(embedding_shape)}."
            )
        self.embedding_dim = int(embedding_shape[-1])
        self.kernel = self.add_weight(
            name="kernel",
            shape=self.kernel_shape(self.embedding_dim),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )

    def kernel_shape(self, embedding_dim: int) -> tuple[int, int]:
        """Shape of the class weights, `(embedding_dim, num_classes)` here."""
        return (embedding_dim, self.num_classes)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if _is_pair(inputs):
            if len(inputs) != 2:
                raise ValueError(
                    "A head takes `embeddings` or `[embeddings, labels]`, "
                    f"got {len(inputs)} inputs."
                )
            embeddings, labels = inputs
        else:
            embeddings, labels = inputs, None
            if training and not self._warned_without_labels and self._has_margin():
                self._warned_without_labels = True
                warnings.warn(
                    f"The margin head {self.name!r} was called without labels while training, so "
                    "no margin is applied. Call it as head([embeddings, labels]), or train a "
                    "kzoo.models.MarginModel, whose fit(x, y) passes the labels to its head.",
                    stacklevel=2,
                )
        embeddings = ops.cast(embeddings, "float32")
        kernel = ops.cast(self.kernel, "float32")
        cosine = self.cosine(embeddings, kernel)
        if labels is None:
            logits = self.scale_logits(cosine, embeddings, kernel)
        else:
            labels, valid = self._check_labels(labels, embeddings)
            one_hot = ops.one_hot(labels, self.num_classes, dtype="float32")
            target = ops.sum(cosine * one_hot, axis=-1, keepdims=True)
            margined = self.margin_cosine(target, training=training)
            logits = self.scale_logits(cosine + one_hot * (margined - target), embeddings, kernel)
            if valid is not None:
                logits = ops.where(ops.expand_dims(valid, -1), logits, float("nan"))
        return _cast_finite(logits, self.compute_dtype)

    def _has_margin(self) -> bool:
        return type(self).margin_cosine is not MarginHead.margin_cosine

    def cosine(self, embeddings: Any, kernel: Any) -> Any:
        """cos θ between each embedding and each class weight, clipped to [-1, 1]."""
        cosine = ops.matmul(l2_normalize(embeddings, axis=-1), l2_normalize(kernel, axis=0))
        return ops.clip(cosine, -1.0, 1.0)

    def margin_cosine(self, cos_theta: Any, training: bool | None = None) -> Any:
        """The target-class transform of cos θ (identity here), shape `(batch, 1)`."""
        return cos_theta

    def scale_logits(self, cosine: Any, embeddings: Any, kernel: Any) -> Any:
        """Maps (margined) cosines to logits; the default is ‖x‖‖w‖·cos θ = x·w."""
        return cosine * self.embedding_norms(embeddings) * self.kernel_norms(kernel)

    @staticmethod
    def embedding_norms(embeddings: Any) -> Any:
        return safe_norm(embeddings, axis=-1, keepdims=True)

    @staticmethod
    def kernel_norms(kernel: Any) -> Any:
        return safe_norm(kernel, axis=0, keepdims=True)

    def _check_labels(self, labels: Any, embeddings: Any) -> tuple[Any, Any]:
        labels = ops.convert_to_tensor(labels)
        dtype = keras.backend.standardize_dtype(labels.dtype)
        if dtype == "bool" or not ("int" in dtype or "float" in dtype):
            raise TypeError(f"`labels` must be integer class ids, got dtype {dtype}.")
        shape = tuple(labels.shape)
        if len(shape) == 2 and shape[1] == 1:
            labels = ops.squeeze(labels, axis=1)
        elif len(shape) != 1:
            raise ValueError(f"`labels` must have shape (batch,) or (batch, 1), got shape {shape}.")
        batch = embeddings.shape[0]
        if batch is not None and shape[0] is not None and shape[0] != batch:
            raise ValueError(f"`labels` has {shape[0]} entries but `embeddings` has {batch} rows.")
        values = concrete(labels)
        if values is not None:
            check_labels_array("labels", values, self.num_classes)
            return ops.cast(labels, "int32"), None
        wide = ops.cast(labels, "float32") if "float" in dtype else labels
        valid = ops.logical_and(wide >= 0, wide < self.num_classes)
        if "float" in dtype:
            valid = ops.logical_and(valid, ops.equal(ops.floor(wide), wide))
        labels = ops.where(valid, labels, ops.zeros_like(labels))
        return ops.cast(labels, "int32"), valid

    def compute_output_shape(self, input_shape: Any) -> tuple:
        embedding_shape = input_shape[0] if _is_pair(input_shape) else input_shape
        return (embedding_shape[0], self.num_classes)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            }
        )
        return config


def _is_pair(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and not isinstance(value[0], (int, type(None)))
    return False


def _cast_finite(x: Any, dtype: str) -> Any:
    """Casts float32 logits to `dtype`, saturating at its largest finite value (float16)."""
    if keras.backend.standardize_dtype(dtype) == "float16":
        x = ops.clip(x, -65504.0, 65504.0)
    return ops.cast(x, dtype)
