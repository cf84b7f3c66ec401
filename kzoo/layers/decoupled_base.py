"""Shared machinery of the decoupled operators (DecoupledConv2D, DecoupledDense)."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.ops.decoupled_functions import get_angular_function, get_magnitude_function
from kzoo.utils.validation import check_bool, check_float, check_positive

WEIGHTINGS = ("none", "linear", "nonlinear")
_MIN_LEARNED_RHO = 1e-4


def _positive_number(value: Any, name: str) -> float:
    return check_positive(name, value)


@keras.saving.register_keras_serializable(package="kzoo")
class DecoupledBase(keras.layers.Layer):
    """Base of the decoupled operators f(w, x) = h(‖w‖, ‖x‖)·g(θ) (Liu et al., CVPR 2018).

    Subclasses compute, per output channel and per patch, the inner product ⟨w, x⟩, the
    squared patch norm ‖x‖² and the squared kernel norm ‖w‖², and hand them to `decouple`,
    which returns h·g (plus bias and activation). The norms are ‖·‖ = √(‖·‖² + ε), as in the
    authors' code, so zero patches and zero kernels have finite gradients; the decoupling runs
    in float32 whatever the dtype policy and is cast back to the compute dtype.

    Args:
        magnitude: name of h in `kzoo.ops.MAGNITUDE_FUNCTIONS`: bounded `"sphere"`, `"ball"`,
            `"tanh"`; unbounded `"linear"`, `"segmented"`, `"log"`, `"mix"`.
        angular: name of g in `kzoo.ops.ANGULAR_FUNCTIONS`: `"linear"`, `"cosine"`,
            `"sigmoid"`, `"square_cosine"`.
        alpha: α, the scale of h (> 0).
        rho: ρ, the radius of `ball`, `tanh` and `segmented` (> 0); the initial value when
            `learnable_rho=True`.
        beta: β, the slope of `segmented` beyond ρ and the log weight of `mix`.
        sigmoid_k: k, the steepness of the `sigmoid` angular activation (> 0).
        weighting: how ‖w‖ enters h: `"none"` (h depends on ‖x‖ only, the paper's default),
            `"linear"` (h·‖w‖) or `"nonlinear"` (h(‖x‖)·h₁(‖w‖), h₁ being h with α = 1, e.g.
            tanh(‖w‖/ρ) for `tanh`, log(1 + ‖w‖) for `log`).
        learnable_rho: learn one ρ per output channel, parametrized as ρ = max(r², 1e-4)
            with r initialized to √rho (the paper's recommended "only ρ learnable" setting).
        epsilon: ε added to squared norms (> 0).
        normalize_norm: feed h with ‖x‖/m instead of ‖x‖, m being the batch mean of ‖x‖ in
            training and its moving average at inference, as in the authors' released code
            (their `xnorm_bn`); it keeps bounded h such as tanh(‖x‖/ρ) out of saturation when
            patch norms are large. The angle always uses the raw ‖x‖.
        norm_momentum: momentum of that moving average, in [0, 1).
        use_bias, activation, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, kernel_constraint, bias_constraint: as in `keras.layers.Dense`.

    Example (a subclass only implements `build` and `call`):
        >>> class DecoupledDense1D(DecoupledBase):
        ...     def build(self, shape):
        ...         self.kernel = self.add_weight(shape=(shape[-1], 1))
        ...         self._build_decoupled_weights(1)
        ...     def call(self, x, training=None):
        ...         return self.decouple(x @ self.kernel, ops.sum(x * x, -1, keepdims=True),
        ...                              ops.sum(self.kernel**2, 0), training=training)

    Reference: W. Liu, Z. Liu, Z. Yu, B. Dai, R. Lin, Y. Wang, J. M. Rehg, L. Song,
    "Decoupled Networks", CVPR 2018.
    """

    def __init__(
        self,
        magnitude: str = "tanh",
        angular: str = "cosine",
        alpha: float = 1.0,
        rho: float = 1.0,
        beta: float = 0.5,
        sigmoid_k: float = 0.3,
        weighting: str = "none",
        learnable_rho: bool = False,
        epsilon: float = 1e-4,
        normalize_norm: bool = False,
        norm_momentum: float = 0.99,
        use_bias: bool = False,
        activation: Any = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._magnitude_fn = get_magnitude_function(magnitude)
        self._angular_fn = get_angular_function(angular)
        if weighting not in WEIGHTINGS:
            raise ValueError(f"`weighting` must be one of {WEIGHTINGS}; received {weighting!r}.")
        if not isinstance(learnable_rho, bool):
            raise TypeError(f"`learnable_rho` must be a bool; received {learnable_rho!r}.")
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not math.isfinite(beta):
            raise TypeError(f"`beta` must be a finite number; received {beta!r}.")
        self.magnitude = magnitude
        self.angular = angular
        self.alpha = _positive_number(alpha, "alpha")
        self.rho = _positive_number(rho, "rho")
        self.beta = float(beta)
        self.sigmoid_k = _positive_number(sigmoid_k, "sigmoid_k")
        self.weighting = weighting
        self.learnable_rho = learnable_rho
        self.epsilon = _positive_number(epsilon, "epsilon")
        self.normalize_norm = check_bool("normalize_norm", normalize_norm)
        self.norm_momentum = check_float(
            "norm_momentum", norm_momentum, 0.0, 1.0, max_inclusive=False
        )
        self.use_bias = bool(use_bias)
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.radius = None
        self.bias = None
        self.moving_norm_mean = None

    def _build_decoupled_weights(self, channels: int) -> None:
        if self.learnable_rho:
            self.radius = self.add_weight(
                name="radius",
                shape=(channels,),
                initializer=keras.initializers.Constant(math.sqrt(self.rho)),
                trainable=True,
            )
        if self.normalize_norm:
            self.moving_norm_mean = self.add_weight(
                name="moving_norm_mean",
                shape=(),
                initializer="ones",
                trainable=False,
                autocast=False,
            )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(channels,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def effective_rho(self) -> Any:
        """ρ per output channel (a tensor) when learnable, else the float `rho`."""
        if self.radius is None:
            return self.rho
        radius = ops.cast(self.radius, "float32")
        return ops.maximum(ops.square(radius), _MIN_LEARNED_RHO)

    def _norm_scale(self, x_norm: Any, training: bool | None) -> Any:
        if not training:
            return ops.cast(self.moving_norm_mean, "float32")
        mean = ops.mean(x_norm)
        moving = ops.cast(self.moving_norm_mean, "float32")
        updated = moving * self.norm_momentum + ops.stop_gradient(mean) * (1.0 - self.norm_momentum)
        self.moving_norm_mean.assign(ops.cast(updated, self.moving_norm_mean.dtype))
        return mean

    def decouple(
        self, dot: Any, x_sq: Any, w_sq: Any, channel_axis: int = -1, training: bool | None = None
    ) -> Any:
        """h(‖w‖, ‖x‖)·g(θ) from ⟨w, x⟩, ‖x‖² (broadcastable) and ‖w‖² (one per channel)."""
        ndim = len(dot.shape)
        shape = [1] * ndim
        shape[channel_axis] = -1

        def per_channel(v: Any) -> Any:
            return ops.reshape(ops.cast(v, "float32"), shape)

        dot = ops.cast(dot, "float32")
        # 1/‖·‖ by rsqrt and products, not a division: an int8 LiteRT DIV refuses a
        # denominator that quantizes to zero (an all-zero patch has ‖x‖ = √ε).
        x_sq = ops.cast(x_sq, "float32") + self.epsilon
        inv_x_norm = ops.rsqrt(x_sq)
        x_norm = x_sq * inv_x_norm
        inv_w_norm = per_channel(ops.rsqrt(ops.cast(w_sq, "float32") + self.epsilon))
        w_norm = per_channel(ops.sqrt(ops.cast(w_sq, "float32") + self.epsilon))
        cos = dot * inv_x_norm * inv_w_norm
        rho = self.effective_rho()
        if self.radius is not None:
            rho = per_channel(rho)
        h_norm = x_norm
        if self.normalize_norm:
            h_norm = x_norm / (self._norm_scale(x_norm, training) + 1e-6)
        h = self._magnitude_fn(h_norm, alpha=self.alpha, rho=rho, beta=self.beta)
        if self.weighting == "linear":
            h = h * w_norm
        elif self.weighting == "nonlinear":
            h = h * self._magnitude_fn(w_norm, alpha=1.0, rho=rho, beta=self.beta)
        outputs = h * self._angular_fn(cos, k=self.sigmoid_k)
        if self.bias is not None:
            outputs = outputs + per_channel(self.bias)
        outputs = ops.cast(outputs, self.compute_dtype)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "magnitude": self.magnitude,
                "angular": self.angular,
                "alpha": self.alpha,
                "rho": self.rho,
                "beta": self.beta,
                "sigmoid_k": self.sigmoid_k,
                "weighting": self.weighting,
                "learnable_rho": self.learnable_rho,
                "epsilon": self.epsilon,
                "normalize_norm": self.normalize_norm,
                "norm_momentum": self.norm_momentum,
                "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
                "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            }
        )
        return config
