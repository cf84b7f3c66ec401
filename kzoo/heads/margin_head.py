"""Base class of the margin-softmax heads: class weights, label checks, cosine logits."""

from __future__ import annotations

import warnings
from typing import Any

import keras
from keras import ops

from kzoo.ops.l2_normalize import l2_normalize, safe_norm
from kzoo.ops.partial_fc import num_sampled_classes, sample_classes
from kzoo.utils.validation import check_float, check_int, check_labels_array, concrete


@keras.saving.register_keras_serializable(package="kzoo")
class MarginHead(keras.layers.Layer):
    """A classifier layer over embeddings owning a `(embedding_dim, num_classes)` weight matrix.

    Called as `head([embeddings, labels])` it returns logits with the margin applied to each
    sample's target class; called as `head(embeddings)` it returns the margin-free logits (the
    plain cosine / scaled-cosine classifier used at inference). Train with ordinary
    `SparseCategoricalCrossentropy(from_logits=True)`.

    Subclasses override `margin_cosine` (the target-class transform of cos θ) and describe
    their logits `s · (x or x̂) · (w_j or ŵ_j)` by `normalize_embeddings`, `normalize_kernel`
    and `logit_scale()` (s). The logits are one matmul with its rows scaled before and its
    columns after (no normalised copy of the kernel), and the margin goes to the B target
    logits by gather and scatter-add (no B×C one-hot). Subclasses that override `cosine` or
    `scale_logits` instead get the same result through a slower generic path.
    Everything is computed in float32 and the logits are cast to the layer's compute dtype, so
    float16/bfloat16 policies stay finite.

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
        sample_rate: Partial FC: the fraction of classes in the logits of a call with labels.
            Below 1, each such call keeps every class of the batch plus uniformly drawn other
            classes, `int(sample_rate · C)` in all (per shard of the class axis when the
            current `keras.distribution` shards the kernel), and returns `(batch, kept)`
            logits with each row's target in column 0: train with `kzoo.losses.PartialFCLoss`.
            A batch must not hold more distinct classes than are kept (such rows give NaN).
            Calls without labels always return all C logits. 1 (default) is the full head.
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
        sample_rate: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_classes = check_int("num_classes", num_classes, 2)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        sample_rate = check_float("sample_rate", sample_rate, 0.0, 1.0, min_inclusive=False)
        self.sample_rate = float(sample_rate)
        self.seed_generator = keras.random.SeedGenerator() if self.sample_rate < 1 else None
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

    normalize_embeddings = False
    normalize_kernel = False

    def kernel_shape(self, embedding_dim: int) -> tuple[int, int]:
        """Shape of the class weights, `(embedding_dim, num_classes)` here."""
        return (embedding_dim, self.num_classes)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        embeddings, labels = split_head_inputs(inputs)
        if labels is None and training and not self._warned_without_labels and self._has_margin():
            self._warned_without_labels = True
            warnings.warn(
                f"The margin head {self.name!r} was called without labels while training, so "
                "no margin is applied. Call it as head([embeddings, labels]), or train a "
                "kzoo.models.MarginModel, whose fit(x, y) passes the labels to its head.",
                stacklevel=2,
            )
        embeddings = ops.cast(embeddings, "float32")
        kernel = ops.cast(self.kernel, "float32")
        if labels is not None:
            labels, valid = self._check_labels(labels, embeddings)
            if valid is not None:
                nan_rows = ops.where(valid, 1.0, float("nan"))
                embeddings = embeddings * ops.expand_dims(nan_rows, -1)
        if labels is not None and self.sample_rate < 1:
            return _cast_finite(
                self._sampled_logits(embeddings, kernel, labels, training), self.compute_dtype
            )
        if not self._separable():
            return _cast_finite(
                self._generic_logits(embeddings, kernel, labels, training), self.compute_dtype
            )
        logits = self.plain_logits(embeddings, kernel)
        if labels is not None:
            logits = self._apply_margin(logits, labels, embeddings, kernel, training)
        return _cast_finite(logits, self.compute_dtype)

    def logit_scale(self) -> Any:
        """The scalar s of the logits `s · (x or x̂) · (W or Ŵ)` (None: 1)."""
        return None

    def plain_logits(self, embeddings: Any, kernel: Any) -> Any:
        """Margin-free logits as one matmul: rows scaled before it, columns after it.

        `x̂ = x/‖x‖` is B×d and the column factor `1/‖w_j‖` a 1×C vector, so no normalised
        copy of the (d, C) kernel is made.
        """
        rows = l2_normalize(embeddings, axis=-1) if self.normalize_embeddings else embeddings
        scale = self.logit_scale()
        if scale is not None:
            rows = rows * scale
        logits = ops.matmul(rows, kernel)
        if self.normalize_kernel:
            logits = logits * inverse_column_norms(kernel)
        return logits

    def _sampled_logits(self, embeddings: Any, kernel: Any, labels: Any, training: Any) -> Any:
        """Partial FC: margin logits over the batch's classes plus sampled negatives."""
        shards = self._class_shards()
        kept = num_sampled_classes(self.num_classes, self.sample_rate, shards)
        index, remapped, found = sample_classes(
            ops.stop_gradient(labels), self.num_classes, kept, shards, self.seed_generator
        )
        embeddings = embeddings * ops.expand_dims(ops.where(found, 1.0, float("nan")), -1)
        if shards > 1:
            # a gather within each shard's block of classes, so that no shard reads another's
            local = ops.reshape(index, (shards, kept)) % (self.num_classes // shards)
            blocks = ops.reshape(kernel, (self.embedding_dim, shards, -1))
            blocks = ops.take_along_axis(blocks, ops.expand_dims(local, 0), axis=2)
            kernel = ops.reshape(blocks, (self.embedding_dim, shards * kept))
        else:
            kernel = ops.take(kernel, index, axis=1)
        if self._separable():
            logits = self.plain_logits(embeddings, kernel)
            return self._apply_margin(logits, remapped, embeddings, kernel, training, True)
        return self._generic_logits(embeddings, kernel, remapped, training, True)

    def _class_shards(self) -> int:
        """The number of shards of the kernel's class axis under the current distribution."""
        distribution = keras.distribution.distribution()
        if (
            not self.built
            or distribution is None
            or not hasattr(distribution, "get_variable_layout")
        ):
            return 1
        layout = distribution.get_variable_layout(self.kernel)
        axes = getattr(layout, "axes", None)
        if not axes or len(axes) != 2 or axes[1] is None:
            return 1
        mesh = distribution.device_mesh
        shards = int(mesh.shape[list(mesh.axis_names).index(axes[1])])
        return shards if self.num_classes % shards == 0 else 1

    def _apply_margin(
        self,
        logits: Any,
        labels: Any,
        embeddings: Any,
        kernel: Any,
        training: Any,
        target_first: bool = False,
    ) -> Any:
        """Replaces each row's target logit by its margined value: a gather of B logits, the
        margin on them, and a scatter-add of the B differences (no B×C one-hot). With
        `target_first`, the margined target goes to column 0 and column 0's logit to the
        target's place. When the class axis is sharded, a (fused) comparison with the column
        index replaces the gather and scatter, which would gather the logits of every shard."""
        batch = ops.shape(logits)[0]
        rows = ops.arange(batch, dtype="int32")
        sharded = self._class_shards() > 1
        if sharded:
            columns = ops.expand_dims(ops.arange(logits.shape[1], dtype="int32"), 0)
            mask = ops.expand_dims(labels, -1) == columns
            target = ops.sum(ops.where(mask, logits, 0.0), axis=1)
        else:
            target = ops.take(ops.reshape(logits, (-1,)), rows * logits.shape[1] + labels)
        factor = ops.ones_like(target)
        scale = self.logit_scale()
        if scale is not None:
            factor = factor * scale
        if not self.normalize_embeddings:
            factor = factor * safe_norm(embeddings, axis=-1)
        if not self.normalize_kernel:
            factor = factor * ops.take(safe_norm(kernel, axis=0), labels)
        cos_theta = ops.clip(target / factor, -1.0, 1.0)
        margined = self.margin_cosine(ops.expand_dims(cos_theta, -1), training=training)
        margined = ops.squeeze(margined, -1) * factor
        if not sharded:
            return logits + _target_update(logits, rows, labels, target, margined, target_first)
        if not target_first:
            return ops.where(mask, ops.expand_dims(margined, -1), logits)
        logits = ops.where(mask, logits[:, :1], logits)
        return ops.where(columns == 0, ops.expand_dims(margined, -1), logits)

    def _separable(self) -> bool:
        cls = type(self)
        return cls.cosine is MarginHead.cosine and cls.scale_logits is MarginHead.scale_logits

    def _generic_logits(
        self, embeddings: Any, kernel: Any, labels: Any, training: Any, target_first: bool = False
    ) -> Any:
        """The path of subclasses overriding `cosine` or `scale_logits`."""
        cosine = self.cosine(embeddings, kernel)
        if labels is None:
            return self.scale_logits(cosine, embeddings, kernel)
        batch = ops.shape(cosine)[0]
        rows = ops.arange(batch, dtype="int32")
        target = ops.take(ops.reshape(cosine, (-1,)), rows * cosine.shape[1] + labels)
        margined = ops.squeeze(
            self.margin_cosine(ops.expand_dims(target, -1), training=training), -1
        )
        cosine = cosine + _target_update(cosine, rows, labels, target, margined, False)
        logits = self.scale_logits(cosine, embeddings, kernel)
        if not target_first:
            return logits
        target = ops.take(ops.reshape(logits, (-1,)), rows * logits.shape[1] + labels)
        return logits + _target_update(logits, rows, labels, target, target, True)

    def _has_margin(self) -> bool:
        return type(self).margin_cosine is not MarginHead.margin_cosine

    def cosine(self, embeddings: Any, kernel: Any) -> Any:
        """cos θ between each embedding and each class weight, clipped to [-1, 1]."""
        cosine = ops.matmul(l2_normalize(embeddings, axis=-1), kernel)
        return ops.clip(cosine * inverse_column_norms(kernel), -1.0, 1.0)

    def margin_cosine(self, cos_theta: Any, training: bool | None = None) -> Any:
        """The target-class transform of cos θ (identity here), shape `(batch, 1)`."""
        return cos_theta

    def scale_logits(self, cosine: Any, embeddings: Any, kernel: Any) -> Any:
        """Maps cosines to logits: `s · cos θ`, times ‖x‖ and ‖w‖ where they are not normalised."""
        scale = self.logit_scale()
        if scale is not None:
            cosine = cosine * scale
        if not self.normalize_embeddings:
            cosine = cosine * self.embedding_norms(embeddings)
        if not self.normalize_kernel:
            cosine = cosine * self.kernel_norms(kernel)
        return cosine

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
        if _is_pair(input_shape) and self.sample_rate < 1:
            shards = self._class_shards()
            kept = num_sampled_classes(self.num_classes, self.sample_rate, shards)
            return (input_shape[0][0], kept * shards)
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
                "sample_rate": self.sample_rate,
            }
        )
        return config


def _target_update(
    logits: Any, rows: Any, labels: Any, target: Any, margined: Any, target_first: bool
) -> Any:
    """The scatter-add that puts `margined` at each row's target (or in column 0)."""
    if not target_first:
        indices = ops.stack([rows, labels], axis=1)
        return ops.scatter(indices, margined - target, ops.shape(logits))
    first = ops.take(ops.reshape(logits, (-1,)), rows * logits.shape[1])
    indices = ops.concatenate(
        [ops.stack([rows, ops.zeros_like(rows)], axis=1), ops.stack([rows, labels], axis=1)], 0
    )
    values = ops.concatenate([margined - first, first - target], 0)
    return ops.scatter(indices, values, ops.shape(logits))


def inverse_column_norms(kernel: Any, epsilon: float = 1e-12) -> Any:
    """1/‖w_j‖ per column, shape (1, C); 0 (with a zero gradient) for columns of norm < ε."""
    squared = ops.sum(ops.square(kernel), axis=0, keepdims=True)
    large = squared >= epsilon * epsilon
    return ops.where(large, ops.rsqrt(ops.where(large, squared, 1.0)), 0.0)


def split_head_inputs(inputs: Any) -> tuple[Any, Any]:
    """A head's `embeddings` or `[embeddings, labels]` as `(embeddings, labels or None)`."""
    if not _is_pair(inputs):
        return inputs, None
    if len(inputs) != 2:
        raise ValueError(
            f"A head takes `embeddings` or `[embeddings, labels]`, got {len(inputs)} inputs."
        )
    return inputs[0], inputs[1]


def _is_pair(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and not isinstance(value[0], (int, type(None)))
    return False


def _cast_finite(x: Any, dtype: str) -> Any:
    """Casts float32 logits to `dtype`, saturating at its largest finite value (float16)."""
    if keras.backend.standardize_dtype(dtype) == "float16":
        x = ops.clip(x, -65504.0, 65504.0)
    return ops.cast(x, dtype)
