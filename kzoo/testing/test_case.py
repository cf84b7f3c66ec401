"""Shared checks for every kzoo layer, head, loss and callback test."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops


def backend() -> str:
    return keras.backend.backend()


def to_numpy(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_numpy(v) for v in x)
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except (TypeError, ValueError):  # e.g. 0-d bfloat16 TF tensors
        return np.asarray(ops.convert_to_numpy(ops.cast(x, "float32")))


def gradients(fn: Callable[..., Any], *inputs: Any) -> list[np.ndarray]:
    """Gradients of `sum(fn(*inputs))` with respect to each input, on any backend."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        xs = [tf.convert_to_tensor(x) for x in inputs]
        with tf.GradientTape() as tape:
            tape.watch(xs)
            total = tf.reduce_sum(fn(*xs))
        return [
            to_numpy(g) if g is not None else np.zeros(x.shape)
            for g, x in zip(tape.gradient(total, xs), xs, strict=True)
        ]
    if name == "jax":
        import jax
        import jax.numpy as jnp

        argnums = tuple(range(len(inputs)))
        grads = jax.grad(lambda *xs: jnp.sum(fn(*xs)), argnums=argnums)(
            *[jnp.asarray(x) for x in inputs]
        )
        return [to_numpy(g) for g in grads]
    if name == "torch":
        import torch

        xs = [ops.convert_to_tensor(x).detach().clone().requires_grad_(True) for x in inputs]
        total = torch.sum(fn(*xs))
        if total.requires_grad:
            total.backward()
        return [to_numpy(x.grad) if x.grad is not None else np.zeros(tuple(x.shape)) for x in xs]
    raise NotImplementedError(f"gradients() does not support the {name} backend.")


def layer_gradients(layer: keras.layers.Layer, inputs: Any, **call_kwargs: Any) -> list[np.ndarray]:
    """Gradients of `sum(layer(inputs))` with respect to the layer's trainable weights."""
    trainable = [w.value for w in layer.trainable_weights]
    non_trainable = [w.value for w in layer.non_trainable_weights]
    inputs = keras.tree.map_structure(ops.convert_to_tensor, inputs)

    def fn(*values):
        outputs, _ = layer.stateless_call(list(values), non_trainable, inputs, **call_kwargs)
        return ops.sum(ops.cast(outputs, "float32"))

    return gradients(fn, *trainable)


class TestCase:
    """Mixin of assertions shared by kzoo tests (pytest classes inherit from it)."""

    def assertAllClose(
        self, actual: Any, desired: Any, atol: float = 1e-6, rtol: float = 1e-6, msg: str = ""
    ) -> None:
        """Element-wise closeness; lists, tuples and dicts are compared item by item."""
        actual, desired = to_numpy(actual), to_numpy(desired)
        if isinstance(actual, dict):
            assert set(actual) == set(desired), msg
            for key in actual:
                self.assertAllClose(actual[key], desired[key], atol, rtol, f"{msg}[{key!r}]")
        elif isinstance(actual, (list, tuple)):
            assert len(actual) == len(desired), msg
            for i, (a, d) in enumerate(zip(actual, desired, strict=True)):
                self.assertAllClose(a, d, atol, rtol, f"{msg}[{i}]")
        else:
            np.testing.assert_allclose(actual, desired, atol=atol, rtol=rtol, err_msg=msg)

    def assertAllFinite(self, values: Any, msg: str = "") -> None:
        for i, v in enumerate(values if isinstance(values, (list, tuple)) else [values]):
            v = to_numpy(v).astype(np.float64)
            assert np.all(np.isfinite(v)), f"{msg} non-finite values in item {i}: {v}"

    def assertMatchesReference(
        self,
        actual: Any,
        reference: Callable[..., Any],
        *reference_args: Any,
        atol: float = 1e-5,
        rtol: float = 1e-5,
    ) -> None:
        """Compares `actual` to a NumPy reference computed in float64."""
        args = [
            np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
            for a in reference_args
        ]
        self.assertAllClose(actual, reference(*args), atol=atol, rtol=rtol)

    def assertFiniteGradients(self, fn: Callable[..., Any], *inputs: Any) -> list[np.ndarray]:
        grads = gradients(fn, *inputs)
        self.assertAllFinite(grads, msg="gradient:")
        return grads

    def run_serialization_test(self, instance: Any) -> Any:
        """get_config -> from_config gives a JSON-equal config; (de)serialization round trips."""
        config = instance.get_config()
        json.dumps(config)
        clone = instance.__class__.from_config(config)
        assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)
        serialized = keras.saving.serialize_keras_object(instance)
        revived = keras.saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
        assert type(revived) is type(instance)
        assert json.dumps(revived.get_config(), sort_keys=True) == json.dumps(
            config, sort_keys=True
        )
        return revived

    def run_model_saving_test(
        self, model: keras.Model, input_data: Any, atol: float = 1e-6
    ) -> keras.Model:
        """Saves to `.keras`, reloads (safe mode) and checks the outputs are equal."""
        expected = to_numpy(model(input_data))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.keras")
            model.save(path)
            restored = keras.saving.load_model(path)
        self.assertAllClose(restored(input_data), expected, atol=atol, rtol=atol)
        return restored

    def run_layer_test(
        self,
        layer_cls: type[keras.layers.Layer],
        init_kwargs: dict[str, Any],
        input_data: Any,
        expected_output_shape: Sequence[int] | None = None,
        expected_num_trainable_weights: int | None = None,
        call_kwargs: dict[str, Any] | None = None,
        run_precision_checks: bool = True,
        run_saving_check: bool = True,
    ) -> keras.layers.Layer:
        """Builds and calls a layer; checks shape, weights, config and `.keras` round trips,
        finite outputs and gradients, and float16/bfloat16 runs."""
        call_kwargs = call_kwargs or {}
        layer = layer_cls(**init_kwargs)
        output = layer(input_data, **call_kwargs)
        if expected_output_shape is not None:
            assert tuple(output.shape) == tuple(expected_output_shape), output.shape
        if expected_num_trainable_weights is not None:
            assert len(layer.trainable_weights) == expected_num_trainable_weights
        self.assertAllFinite(output)
        self.run_serialization_test(layer)
        if layer.trainable_weights:
            self.assertAllFinite(
                layer_gradients(layer, input_data, **call_kwargs), msg="weight gradient:"
            )
        if run_saving_check and not call_kwargs:
            inputs = keras.tree.map_structure(
                lambda x: keras.Input(shape=tuple(x.shape[1:]), dtype=_dtype_name(x)), input_data
            )
            model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
            self.run_model_saving_test(model, input_data)
        if run_precision_checks:
            self.run_precision_test(layer_cls, init_kwargs, input_data, call_kwargs)
        return layer

    def run_precision_test(
        self,
        layer_cls: type[keras.layers.Layer],
        init_kwargs: dict[str, Any],
        input_data: Any,
        call_kwargs: dict[str, Any] | None = None,
        dtypes: Sequence[str] = ("mixed_float16", "mixed_bfloat16", "float16", "bfloat16"),
    ) -> None:
        """Under each dtype policy the layer runs, returns the compute dtype and stays finite."""
        for policy in dtypes:
            layer = layer_cls(**init_kwargs, dtype=policy)
            output = layer(input_data, **(call_kwargs or {}))
            for out in keras.tree.flatten(output):
                assert keras.backend.standardize_dtype(out.dtype) == layer.compute_dtype, (
                    policy,
                    out.dtype,
                )
                self.assertAllFinite(out, msg=f"{policy}:")


def _dtype_name(x: Any) -> str:
    return keras.backend.standardize_dtype(getattr(x, "dtype", np.asarray(x).dtype))
