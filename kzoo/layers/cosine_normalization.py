"""Cosine normalization: a dense layer whose pre-activation is a cosine similarity."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.ops.l2_normalize import l2_normalize
from kzoo.utils.validation import check_bool, check_int, check_positive


@keras.saving.register_keras_serializable(package="kzoo")
class CosineNormalization(keras.layers.Layer):
    """Dense layer computing `cos(w_j, x) = w_j·x / (‖w_j‖ ‖x‖)` instead of `w_j·x + b`.

    The outputs are bounded in [-1, 1], which the paper shows reduces the variance of the
    pre-activations like batch normalization does, without batch statistics. With
    `centered=True` both vectors are mean-centred first (the paper's "centered cosine", i.e.
    Pearson correlation). There is no bias. Zero inputs give 0 with finite gradients. Applies to
    the last axis, so `(batch, ..., input_dim)` maps to `(batch, ..., units)`.

    Args:
        units: number of output units.
        centered: subtract the mean of x and of each w_j before the cosine.
        activation: optional activation applied to the cosines.
        kernel_initializer: initializer of the `(input_dim, units)` kernel.
        kernel_regularizer: optional kernel regularizer.
        kernel_constraint: optional kernel constraint.
        epsilon: smallest norm divided by.
        **kwargs: base `keras.layers.Layer` arguments.

    Example:
    >>> layer = kzoo.layers.CosineNormalization(64, activation="relu")
    >>> y = layer(keras.random.normal((8, 32)))  # (8, 64), values of relu(cos)

    Reference: Luo, Zhan, Wang, Yang, "Cosine Normalization: Using Cosine Similarity Instead of
    Dot Product in Neural Networks", arXiv:1702.05870, 2017.
    """

    def __init__(
        self,
        units: int,
        centered: bool = False,
        activation: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        kernel_regularizer: Any = None,
        kernel_constraint: Any = None,
        epsilon: float = 1e-12,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        units = check_int("units", units, 1)
        centered = check_bool("centered", centered)
        epsilon = check_positive("epsilon", epsilon)
        self.units = units
        self.centered = centered
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.epsilon = float(epsilon)

    def build(self, input_shape: Any) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"`inputs` must have a known last dimension, got shape {tuple(input_shape)}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(int(input_shape[-1]), self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )

    def call(self, inputs: Any) -> Any:
        x = ops.cast(inputs, "float32")
        w = ops.cast(self.kernel, "float32")
        if self.centered:
            x = x - ops.mean(x, axis=-1, keepdims=True)
            w = w - ops.mean(w, axis=0, keepdims=True)
        cosine = ops.matmul(l2_normalize(x, -1, self.epsilon), l2_normalize(w, 0, self.epsilon))
        outputs = ops.cast(ops.clip(cosine, -1.0, 1.0), self.compute_dtype)
        return self.activation(outputs) if self.activation is not None else outputs

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "centered": self.centered,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
                "epsilon": self.epsilon,
            }
        )
        return config
