from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from kzoo.utils.validation import (
    check_bool,
    check_choice,
    check_float,
    check_int,
    check_non_negative,
    check_positive,
    concrete,
    fail,
)

_MODES = ("nce", "softmax")


def _unit_rows_initializer(seed: int | None):
    def initializer(shape, dtype=None):
        rows = keras.random.normal(shape, dtype="float32", seed=seed)
        return rows / ops.sqrt(
            ops.maximum(ops.sum(ops.square(rows), axis=-1, keepdims=True), 1e-12)
        )

    return initializer


@keras.saving.register_keras_serializable(package="kzoo")
class NCEMemoryBank(keras.layers.Layer):
    """Memory bank of per-instance embeddings for non-parametric instance discrimination.

    Holds `V`, one L2-normalised row per training instance, as non-trainable state (saved
    with `.keras` files, weight files, checkpoints and `BackupAndRestore`). Called on
    `[embeddings, ids]` (embeddings L2-normalised, ids the instance indices yielded by the
    data pipeline), it returns:

    - `mode="nce"`: log P(j|v) = vⱼᵀf/τ − log Z, shape `(batch, 1 + num_negatives)`, for
      the positive row `ids` in column 0 followed by `num_negatives` rows drawn uniformly
      from the bank. Z is estimated once, on the first training batch, by Monte Carlo as
      `n · mean(exp(vⱼᵀf/τ))` over that batch's sampled rows, and then held fixed (the
      `log_z` variable). Train with `kzoo.losses.NCELoss`.
    - `mode="softmax"`: logits fVᵀ/τ against the whole bank, shape `(batch, n)`; the full
      non-parametric softmax for small n. Train with
      `keras.losses.SparseCategoricalCrossentropy(from_logits=True)` and `y = ids`.

    During training (like `BatchNormalization`'s moving statistics) the rows `ids` are then
    updated as `vᵢ ← normalize(m·vᵢ + (1−m)·fᵢ)` by gather/scatter, and `step` counts the
    updates. Bank rows are never differentiated. With `proximal_weight = λ > 0` the layer
    adds the proximal term `λ · mean_b ‖fᵢ − vᵢ‖²` (with the pre-update vᵢ) via `add_loss`.
    The per-step cost is the gather of `batch · (1 + num_negatives)` rows and the scatter
    of `batch` rows; it does not grow with n in `"nce"` mode. Within a batch ids should be
    distinct (for duplicates one update wins). The bank is float32 whatever the policy.

    Design: the state lives in a layer, updated in `call(training=True)` like
    `BatchNormalization`'s moving statistics, so the stock `model.fit` (TensorFlow and JAX,
    whose stateless training step threads non-trainable variables through `jit` and donates
    them) trains it, and bank, `log_z`, `step` and the noise seed state are ordinary
    weights of the model. No custom `train_step` or callback is needed; the companion
    callback is `kzoo.callbacks.WeightedKNNMonitor`, which can use the bank as its reference
    set. On JAX the scatter is in place (step time flat in n, see
    `benchmarks/nce_memory_bank.py`); on TensorFlow `ops.scatter_update` returns a new
    tensor, so each step also copies the bank.

    Args:
        num_instances: n, the number of training instances (rows of the bank).
        num_negatives: m, noise samples per instance (`"nce"` mode). Defaults to 4096.
        temperature: τ > 0. Defaults to 0.07.
        momentum: m in [0, 1) of the bank update. Defaults to 0.5.
        mode: `"nce"` or `"softmax"`.
        z: fixed normalisation constant Z > 0; `None` (default) estimates it on the first
            training batch.
        proximal_weight: λ ≥ 0 of the proximal regulariser. Defaults to 0.
        seed: int seed of the bank initialisation and the noise sampler.
        share_negatives: `"nce"` mode: draw one set of m noise rows per step for the whole
            batch (one `(batch, d)·(d, m)` matmul, the bank read once per noise row) instead
            of m rows per instance (the paper's estimator, `batch·m` rows gathered).
            Defaults to False.

    Example:
    ```python
    images = keras.Input((28, 28, 1)); ids = keras.Input((), dtype="int32")
    f = embedding_net(images)  # ends with L2 normalisation
    out = kzoo.layers.NCEMemoryBank(num_instances=len(x_train))([f, ids])
    model = keras.Model([images, ids], out)
    model.compile("sgd", loss=kzoo.losses.NCELoss(num_instances=len(x_train)))
    model.fit(tf.data.Dataset.from_tensor_slices(((x_train, idx), idx)).batch(128))
    ```

    Reference: Wu, Xiong, Yu, Lin, "Unsupervised Feature Learning via Non-Parametric
    Instance Discrimination", CVPR 2018.
    """

    def __init__(
        self,
        num_instances: int,
        num_negatives: int = 4096,
        temperature: float = 0.07,
        momentum: float = 0.5,
        mode: str = "nce",
        z: float | None = None,
        proximal_weight: float = 0.0,
        seed: int | None = None,
        share_negatives: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        check_int("num_instances", num_instances, 2)
        check_int("num_negatives", num_negatives, 1)
        temperature = check_positive("temperature", temperature)
        momentum = check_float("momentum", momentum, 0.0, 1.0, max_inclusive=False)
        check_choice("mode", mode, _MODES)
        z = None if z is None else check_positive("z", z)
        proximal_weight = check_non_negative("proximal_weight", proximal_weight)
        self.num_instances = num_instances
        self.num_negatives = num_negatives
        self.temperature = float(temperature)
        self.momentum = float(momentum)
        self.mode = mode
        self.z = None if z is None else float(z)
        self.proximal_weight = float(proximal_weight)
        self.seed = seed
        self.share_negatives = check_bool("share_negatives", share_negatives)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape: Any) -> None:
        if (
            not isinstance(input_shape, (list, tuple))
            or len(input_shape) != 2
            or not all(isinstance(s, (list, tuple)) for s in input_shape)
        ):
            raise ValueError(
                f"`inputs` must be `[embeddings, ids]`. Received input shape: {input_shape}"
            )
        embedding_shape = tuple(input_shape[0])
        if len(embedding_shape) != 2 or embedding_shape[-1] is None:
            raise ValueError(
                "`embeddings` must have shape (batch, dim) with a known dim. "
                f"Received: {embedding_shape}"
            )
        self.embedding_dim = embedding_shape[-1]
        self.bank = self.add_weight(
            shape=(self.num_instances, self.embedding_dim),
            initializer=_unit_rows_initializer(self.seed),
            trainable=False,
            dtype="float32",
            name="bank",
        )
        if self.mode == "nce":
            initial = -math.inf if self.z is None else math.log(self.z)
            self.log_z = self.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(initial),
                trainable=False,
                dtype="float32",
                name="log_z",
            )
        self.step = self.add_weight(
            shape=(), initializer="zeros", trainable=False, dtype="int32", name="step"
        )

    @property
    def normalizer(self) -> float:
        """The current Z (0.0 while not yet estimated)."""
        return float(math.exp(float(ops.convert_to_numpy(self.log_z))))

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        embeddings, ids = inputs
        embeddings = ops.cast(embeddings, "float32")
        ids, valid = self._check_ids(ids)
        bank = ops.cast(self.bank, "float32")  # mixed policies autocast it to the compute dtype
        if self.mode == "nce" and self.share_negatives:
            noise = keras.random.randint(
                (self.num_negatives,),
                0,
                self.num_instances,
                dtype="int32",
                seed=self.seed_generator,
            )
            rows = ops.stop_gradient(ops.take(bank, ops.concatenate([ids, noise], axis=0), axis=0))
            batch = ops.shape(ids)[0]
            positives, negatives = rows[:batch], rows[batch:]
            scores = (
                ops.concatenate(
                    [
                        ops.sum(positives * embeddings, axis=-1, keepdims=True),
                        ops.matmul(embeddings, ops.transpose(negatives)),
                    ],
                    axis=1,
                )
                / self.temperature
            )
            log_z = self._log_z(scores)
            outputs = scores - log_z
        elif self.mode == "nce":
            batch = ops.shape(embeddings)[0]
            noise = keras.random.randint(
                (batch, self.num_negatives),
                0,
                self.num_instances,
                dtype="int32",
                seed=self.seed_generator,
            )
            rows = ops.stop_gradient(
                ops.take(bank, ops.concatenate([ids[:, None], noise], axis=1), axis=0)
            )
            # Reading the positives from `rows` orders every bank read before the scatter,
            # so XLA can update the (donated) bank in place instead of copying it.
            positives = rows[:, 0, :]
            scores = ops.einsum("bkd,bd->bk", rows, embeddings) / self.temperature
            log_z = self._log_z(scores)
            outputs = scores - log_z
        else:
            positives = ops.stop_gradient(ops.take(bank, ids, axis=0))
            # The bank is updated in place below (torch): score against a copy when training.
            read = ops.copy(bank) if training and self.trainable else bank
            outputs = ops.matmul(embeddings, ops.transpose(read)) / self.temperature
        if self.proximal_weight > 0:
            distance = ops.sum(ops.square(embeddings - positives), axis=-1)
            self.add_loss(self.proximal_weight * ops.mean(distance))
        if training and self.trainable:
            updated = self.momentum * positives + (1.0 - self.momentum) * ops.stop_gradient(
                embeddings
            )
            norm = ops.sqrt(
                ops.maximum(ops.sum(ops.square(updated), axis=-1, keepdims=True), 1e-12)
            )
            updated = updated / norm
            if valid is not None:  # a bad id leaves the bank as it was (and the loss NaN)
                updated = ops.where(valid, updated, positives)
            self.bank.assign(ops.scatter_update(bank, ids[:, None], updated))
            if self.mode == "nce":
                self.log_z.assign(log_z)
            self.step.assign_add(ops.ones((), "int32"))
        if valid is not None:
            outputs = ops.where(valid, outputs, float("nan"))
        return ops.cast(outputs, self.compute_dtype)

    def _log_z(self, scores: Any) -> Any:
        """The held log Z, or its Monte Carlo estimate `log(n · mean(exp(scores)))` if unset."""
        count = ops.cast(ops.size(scores), "float32")
        estimate = ops.stop_gradient(
            ops.logsumexp(scores) - ops.log(count) + math.log(self.num_instances)
        )
        current = ops.convert_to_tensor(self.log_z)
        return ops.where(ops.isfinite(current), current, estimate)

    def _check_ids(self, ids: Any) -> tuple[Any, Any]:
        """Ids in `[0, num_instances)`: checked eagerly; in a compiled step a bad id makes the
        outputs NaN (and leaves the bank unchanged) instead of reading/writing a wrong row."""
        ids = ops.reshape(ops.convert_to_tensor(ids), (-1,))
        dtype = keras.backend.standardize_dtype(ids.dtype)
        values = concrete(ids)
        requirement = f"integer row indices in [0, num_instances={self.num_instances})"
        if values is not None:
            bad = (values < 0) | (values >= self.num_instances) | (values != np.round(values))
            if values.size and bool(np.any(bad)):
                fail("ids", requirement, values[bad][:4].tolist())
            return ops.cast(ids, "int32"), None
        wide = ops.cast(ids, "float32") if "float" in dtype else ids
        valid = ops.logical_and(wide >= 0, wide < self.num_instances)
        if "float" in dtype:
            valid = ops.logical_and(valid, ops.equal(ops.floor(wide), wide))
        valid = ops.all(valid)
        safe = ops.where(valid, ids, ops.zeros_like(ids))
        return ops.cast(safe, "int32"), valid

    def compute_output_shape(self, input_shape: Any) -> tuple:
        width = 1 + self.num_negatives if self.mode == "nce" else self.num_instances
        return (input_shape[0][0], width)

    def compute_output_spec(self, inputs: Any, training: bool | None = None) -> keras.KerasTensor:
        shape = self.compute_output_shape([tuple(inputs[0].shape), tuple(inputs[1].shape)])
        return keras.KerasTensor(shape, dtype=self.compute_dtype)

    def save_own_variables(self, store: Any) -> None:
        super().save_own_variables(store)
        store["noise_seed_state"] = self.seed_generator.state

    def load_own_variables(self, store: Any) -> None:
        all_vars = self._trainable_variables + self._non_trainable_variables
        expected = len(all_vars) + (1 if "noise_seed_state" in store.keys() else 0)
        if len(store.keys()) != expected:
            raise ValueError(
                f"Layer '{self.name}' expected {len(all_vars)} variables "
                f"(+ noise seed state), but received {len(store.keys())} during loading."
            )
        for i, v in enumerate(all_vars):
            v.assign(store[f"{i}"])
        if "noise_seed_state" in store.keys():
            self.seed_generator.state.assign(store["noise_seed_state"])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "num_instances": self.num_instances,
                "num_negatives": self.num_negatives,
                "temperature": self.temperature,
                "momentum": self.momentum,
                "mode": self.mode,
                "z": self.z,
                "proximal_weight": self.proximal_weight,
                "seed": self.seed,
                "share_negatives": self.share_negatives,
            }
        )
        return config
