"""WeightProjection: periodically rescale kernels to a fixed norm (DCNets' weight projection)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops


def project_kernel(kernel: Any, norm: float, epsilon: float = 1e-12) -> Any:
    """Rescales each output column of `kernel` (last axis) to L2 norm `norm`."""
    kernel = ops.convert_to_tensor(kernel)
    axes = tuple(range(len(kernel.shape) - 1))
    current = ops.sqrt(ops.sum(ops.square(kernel), axis=axes, keepdims=True))
    return kernel * (norm / ops.maximum(current, epsilon))


@keras.saving.register_keras_serializable(package="kzoo")
class WeightProjection(keras.callbacks.Callback):
    """Every `every_n_steps` training batches, sets w ← s·w/‖w‖ for each output kernel w.

    A decoupled operator whose magnitude ignores ‖w‖ (`weighting="none"`) gives the same
    outputs for w and s·w/‖w‖, but the gradient with respect to w shrinks as ‖w‖ grows;
    Liu et al. (2018) therefore project the kernels back to norm s periodically. By default
    the callback projects the `kernel` of every `DecoupledConv2D`/`DecoupledDense` layer with
    `weighting="none"` (the forward pass is unchanged up to the ε in their norms);
    `layer_names` selects layers by name instead (any layer with a `kernel`, e.g. weighted
    decoupled layers or `Conv2D`, whose outputs then do change).

    Args:
        norm: the target norm s (> 0).
        every_n_steps: project after every N-th training batch (positive int).
        layer_names: names of the layers to project, or None for the default selection.

    Example:
        >>> model.fit(x, y, callbacks=[WeightProjection(norm=1.0, every_n_steps=100)])

    Reference: W. Liu et al., "Decoupled Networks", CVPR 2018, Sec. 4 (weight projection).
    """

    def __init__(
        self, norm: float = 1.0, every_n_steps: int = 100, layer_names: Sequence[str] | None = None
    ) -> None:
        super().__init__()
        if isinstance(norm, bool) or not isinstance(norm, (int, float)):
            raise TypeError(f"`norm` must be a positive number; received {norm!r}.")
        if not math.isfinite(norm) or norm <= 0:
            raise ValueError(f"`norm` must be a positive number; received {norm!r}.")
        if (
            isinstance(every_n_steps, bool)
            or not isinstance(every_n_steps, int)
            or every_n_steps <= 0
        ):
            raise ValueError(f"`every_n_steps` must be a positive int; received {every_n_steps!r}.")
        if layer_names is not None:
            if isinstance(layer_names, str) or not all(isinstance(n, str) for n in layer_names):
                raise TypeError(
                    f"`layer_names` must be a list of layer names; received {layer_names!r}."
                )
            layer_names = list(layer_names)
        self.norm = float(norm)
        self.every_n_steps = every_n_steps
        self.layer_names = layer_names
        self._steps = 0

    def _layers(self) -> list[keras.layers.Layer]:
        from kzoo.layers.decoupled_base import DecoupledBase

        layers = list(self.model._flatten_layers(include_self=False))
        if self.layer_names is None:
            return [
                layer
                for layer in layers
                if isinstance(layer, DecoupledBase) and layer.weighting == "none"
            ]
        by_name = {layer.name: layer for layer in layers}
        missing = [n for n in self.layer_names if n not in by_name]
        if missing:
            raise ValueError(f"`layer_names` has names not in the model: {missing}.")
        selected = [by_name[n] for n in self.layer_names]
        without = [layer.name for layer in selected if getattr(layer, "kernel", None) is None]
        if without:
            raise ValueError(f"`layer_names` has layers without a `kernel`: {without}.")
        return selected

    def project(self) -> None:
        """Projects the selected kernels now."""
        if hasattr(self.model, "jax_state_sync"):
            self.model.jax_state_sync()
        for layer in self._layers():
            kernel = layer.kernel
            kernel.assign(
                ops.cast(project_kernel(ops.cast(kernel, "float32"), self.norm), kernel.dtype)
            )

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._steps = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._steps += 1
        if self._steps % self.every_n_steps == 0:
            self.project()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> WeightProjection:
        return cls(**config)

    def get_config(self) -> dict[str, Any]:
        return {
            "norm": self.norm,
            "every_n_steps": self.every_n_steps,
            "layer_names": self.layer_names,
        }
