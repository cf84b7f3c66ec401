"""DecoupledDense: the decoupled fully connected operator of DCNets."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.layers.decoupled_base import DecoupledBase
from kzoo.utils.validation import check_int


@keras.saving.register_keras_serializable(package="kzoo")
class DecoupledDense(DecoupledBase):
    """Fully connected decoupled operator: output j is h(‖w_j‖, ‖x‖)·g(θ_j) instead of ⟨w_j, x⟩.

    θ_j is the angle between the input vector x (last axis) and the j-th kernel column w_j.
    With `magnitude="linear"`, `angular="cosine"`, `weighting="linear"` and α = 1 it equals
    `keras.layers.Dense(use_bias=False)` with the same kernel.

    Args:
        units: number of outputs.
        **kwargs: the decoupling arguments of `kzoo.layers.DecoupledBase` (`magnitude`,
            `angular`, `alpha`, `rho`, `beta`, `sigmoid_k`, `weighting`, `learnable_rho`,
            `epsilon`, `normalize_norm`, `norm_momentum`, `use_bias` (default False),
            `activation`, initializers, regularizers, constraints) and base layer keywords.

    Example:
        >>> layer = DecoupledDense(10, magnitude="sphere", angular="linear")
        >>> layer(np.ones((4, 32), "float32")).shape
        (4, 10)

    Reference: W. Liu et al., "Decoupled Networks", CVPR 2018.
    """

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        units = check_int("units", units, 1)
        self.units = units
        self.input_spec = keras.layers.InputSpec(min_ndim=2)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        features = input_shape[-1]
        if features is None:
            raise ValueError(f"The last dimension of the inputs must be known; got {input_shape}.")
        self.kernel = self.add_weight(
            name="kernel",
            shape=(features, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._build_decoupled_weights(self.units)
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: features})

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        inputs = ops.cast(inputs, self.compute_dtype)
        dot = ops.matmul(inputs, ops.cast(self.kernel, self.compute_dtype))
        x_sq = ops.sum(ops.square(ops.cast(inputs, "float32")), axis=-1, keepdims=True)
        w_sq = ops.sum(ops.square(ops.cast(self.kernel, "float32")), axis=0)
        return self.decouple(dot, x_sq, w_sq, training=training)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["units"] = self.units
        return config
