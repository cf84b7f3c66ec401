"""DecoupledConv2D: the decoupled convolution operator of DCNets."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.layers.decoupled_base import DecoupledBase


def _pair(value: Any, name: str) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        raise ValueError(f"`{name}` must be a positive int or a pair of them; received {value!r}.")
    return tuple(value)


@keras.saving.register_keras_serializable(package="kzoo")
class DecoupledConv2D(DecoupledBase):
    """2D decoupled convolution: each output is h(‖w‖, ‖x‖)·g(θ) instead of ⟨w, x⟩.

    For every output channel (kernel w) and every patch x, θ is the angle between w and x,
    ‖x‖ the patch norm and ‖w‖ the kernel norm. ⟨w, x⟩ is an ordinary convolution; the patch
    norms come from a convolution of Σ_c x² with a ones kernel (same strides, padding and
    dilation), so no patches are extracted. With `magnitude="linear"`, `angular="cosine"`,
    `weighting="linear"` and α = 1 the layer equals `keras.layers.Conv2D` with the same
    kernel (the paper's unification of the inner product).

    Args:
        filters: number of output channels.
        kernel_size: int or pair of ints.
        strides: int or pair of ints (default 1).
        padding: `"valid"` or `"same"`.
        data_format: `"channels_last"` or `"channels_first"` (default: Keras' setting).
        dilation_rate: int or pair of ints; strides > 1 with dilation > 1 is not supported
            (as in `keras.layers.Conv2D`).
        **kwargs: the decoupling arguments of `kzoo.layers.DecoupledBase` (`magnitude`,
            `angular`, `alpha`, `rho`, `beta`, `sigmoid_k`, `weighting`, `learnable_rho`,
            `epsilon`, `normalize_norm`, `norm_momentum`, `use_bias` (default False),
            `activation`, initializers, regularizers, constraints) and base layer keywords.

    Example:
        >>> layer = DecoupledConv2D(16, 3, padding="same", magnitude="tanh", angular="cosine")
        >>> layer(np.zeros((2, 28, 28, 1), "float32")).shape
        (2, 28, 28, 16)

    Reference: W. Liu et al., "Decoupled Networks", CVPR 2018.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise ValueError(f"`filters` must be a positive int; received {filters!r}.")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"`padding` must be 'valid' or 'same'; received {padding!r}.")
        self.filters = filters
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.strides = _pair(strides, "strides")
        self.padding = padding.lower()
        data_format = data_format or keras.config.image_data_format()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                "`data_format` must be 'channels_last' or 'channels_first'; "
                f"received {data_format!r}."
            )
        self.data_format = data_format
        self.dilation_rate = _pair(dilation_rate, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "`strides` > 1 with `dilation_rate` > 1 is not supported; received "
                f"strides={self.strides}, dilation_rate={self.dilation_rate}."
            )
        self.input_spec = keras.layers.InputSpec(ndim=4)
        self._channel_axis = -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs must be known; got {input_shape}."
            )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(*self.kernel_size, channels, self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self._build_decoupled_weights(self.filters)
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={self._channel_axis: channels})

    def _conv(self, inputs: Any, kernel: Any) -> Any:
        return ops.conv(
            inputs,
            kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        inputs = ops.cast(inputs, self.compute_dtype)
        dot = self._conv(inputs, ops.cast(self.kernel, self.compute_dtype))
        squares = ops.sum(
            ops.square(ops.cast(inputs, "float32")), axis=self._channel_axis, keepdims=True
        )
        x_sq = self._conv(squares, ops.ones((*self.kernel_size, 1, 1), dtype="float32"))
        w_sq = ops.sum(ops.square(ops.cast(self.kernel, "float32")), axis=(0, 1, 2))
        return self.decouple(dot, x_sq, w_sq, channel_axis=self._channel_axis, training=training)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
            }
        )
        return config
