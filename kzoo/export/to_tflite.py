"""Convert a Keras model's inference graph to a builtin-ops-only `.tflite` (LiteRT) file."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import keras
import numpy as np

from kzoo.export import _flatbuffer
from kzoo.export.export_report import ExportReport
from kzoo.export.unsupported_ops_error import UnsupportedOpsError
from kzoo.heads.margin_head import MarginHead
from kzoo.utils.atomic_write import atomic_write

QUANTIZE_MODES = ("none", "fp16", "int8")
_NOT_BUILTIN = re.compile(r"'tf\.(\w+)' op is neither a custom op nor a flex op")
_OP_LIST = re.compile(r"(?:Custom|Flex) ops: ([\w, ]+)")
_LOCATION = re.compile(r'name: "([^"@]+/[^"@]+)@')


def to_tflite(
    model: keras.Model,
    path: str | os.PathLike,
    *,
    quantize: str = "none",
    representative_data: np.ndarray
    | Sequence[np.ndarray]
    | Callable[[], Iterable[Any]]
    | None = None,
    output_names: Sequence[str] | None = None,
    num_calibration_samples: int = 200,
    allow_label_inputs: bool = False,
) -> ExportReport:
    """Writes `model`'s inference graph (`training=False`) as a `.tflite` with builtin ops only.

    Conversion runs in-process under the TensorFlow backend (set `KERAS_BACKEND=tensorflow`
    before importing Keras; weights trained on any backend load there). SELECT_TF_OPS and
    custom ops are never enabled: a graph that needs them raises `UnsupportedOpsError` naming
    the ops. The file is written atomically (temp file + rename), so a failed export leaves
    `path` as it was. Subgraph outputs and their tensor names follow the Keras output order and
    names (the converter sorts signature outputs by name); the signature `serving_default`
    carries the same names.

    Args:
        model: a built Keras model with `model.inputs` (functional or Sequential); heads that
            take labels in training must be called without them in this graph.
        path: destination `.tflite` file.
        quantize: `"none"` (float32), `"fp16"` (float16 weights, float32 compute) or `"int8"`
            (int8 weights and activations calibrated on `representative_data`, float32 input
            and output, float fallback for ops without int8 kernels).
        representative_data: for `"int8"` only: an array of samples (first axis), a list of
            arrays for multi-input models, or a callable returning an iterable of per-sample
            input lists with a batch axis of 1. Draw it from the model's training set.
        output_names: names for the outputs in Keras order; default `model.output_names`
            (or the keys of a dict output).
        num_calibration_samples: how many samples of an array `representative_data` to use.
        allow_label_inputs: export a graph whose margin head takes a label input (the training
            graph, margin applied) on purpose, e.g. to check that it converts with builtins only.
            Refused by default: a phone has no labels.

    Returns:
        An `ExportReport`.

    Example:
        >>> report = to_tflite(model, "model.tflite", quantize="fp16")
        >>> report.output_names
        ('embedding', 'logits')
    """
    start = time.perf_counter()
    _require_tensorflow()
    import tensorflow as tf

    if quantize not in QUANTIZE_MODES:
        raise ValueError(f"`quantize` must be one of {QUANTIZE_MODES}, got {quantize!r}.")
    if quantize == "int8" and representative_data is None:
        raise ValueError(
            "`representative_data` is required for quantize='int8' (samples from the training set)."
        )
    if quantize != "int8" and representative_data is not None:
        raise ValueError(
            f"`representative_data` is only used with quantize='int8', not {quantize!r}."
        )
    if not isinstance(model, keras.Model) or not getattr(model, "inputs", None):
        raise TypeError(
            "`model` must be a built Keras model with symbolic `inputs` (functional or Sequential)."
        )
    labels = _label_inputs(model)
    if labels and not allow_label_inputs:
        raise ValueError(
            f"`model` takes the label input(s) {labels} of a margin head: that is a training graph "
            "(margin applied, an integer input on the device; label=-1 gives NaN). Export the "
            "label-free inference model instead: a kzoo.models.MarginModel, or the model whose "
            "head is called as head(embeddings). Pass allow_label_inputs=True to export it on "
            "purpose."
        )
    path = os.fspath(path)
    input_names, specs = _input_specs(model)
    names = _output_names(model, output_names)

    def serve(*args: Any) -> dict[str, Any]:
        outputs = model(list(args) if len(args) > 1 else args[0], training=False)
        if isinstance(outputs, dict):
            flat = [outputs[key] for key in _output_structure(model)]  # the model's key order
        else:
            flat = keras.tree.flatten(outputs)
        return {name: tensor for name, tensor in zip(names, flat, strict=True)}

    workdir = tempfile.mkdtemp(prefix="kzoo_export_")
    try:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serving_default", serve, input_signature=specs)
        archive.write_out(workdir, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(
            workdir, signature_keys=["serving_default"]
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize == "fp16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        elif quantize == "int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = _calibration(
                representative_data, len(specs), num_calibration_samples
            )
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                tf.lite.OpsSet.TFLITE_BUILTINS,
            ]
        try:
            content = converter.convert()
        except Exception as error:
            unsupported = _unsupported_ops(error)
            if unsupported is not None:
                raise unsupported from error
            raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    flat_model = _flatbuffer.read_model(content)
    extra = _flatbuffer.non_builtin_ops(flat_model)
    if extra:
        raise UnsupportedOpsError(extra)
    metadata = {
        "input_names": input_names,
        "output_names": names,
        "quantize": quantize,
        "keras": keras.__version__,
    }
    in_shapes, out_shapes = _flatbuffer.rename_and_reorder(flat_model, input_names, names, metadata)
    content = _flatbuffer.write_model(flat_model)
    atomic_write(path, lambda f: f.write(content))
    return ExportReport(
        path=path,
        quantize=quantize,
        size_bytes=len(content),
        input_names=tuple(input_names),
        input_shapes=tuple(_shape(s) for s in in_shapes),
        output_names=tuple(names),
        output_shapes=tuple(_shape(s) for s in out_shapes),
        ops=tuple(_flatbuffer.op_names(flat_model)),
        tensorflow_version=tf.__version__,
        keras_version=keras.__version__,
        seconds=time.perf_counter() - start,
    )


def representative_sample(x: np.ndarray, num_samples: int = 200, seed: int = 0) -> np.ndarray:
    """A seeded random subset of `x` (first axis) for int8 calibration."""
    x = np.asarray(x)
    if num_samples < 1:
        raise ValueError(f"`num_samples` must be positive, got {num_samples}.")
    index = np.random.default_rng(seed).permutation(len(x))[:num_samples]
    return x[np.sort(index)]


def _require_tensorflow() -> None:
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            "kzoo.export.to_tflite converts under the TensorFlow backend, but Keras is using "
            f"{backend!r}. Set KERAS_BACKEND=tensorflow before importing keras (weights saved on "
            "any backend load there), or run `kzoo export`, which re-runs itself under TensorFlow."
        )


def _clean(name: str, fallback: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", str(name).split(":")[0]).strip("_")
    return name or fallback


def _label_inputs(model: keras.Model) -> list[str]:
    """Names of the model inputs that reach a margin head's label slot."""
    inputs = {id(t): t.name for t in model.inputs}
    names = []
    for layer in model.layers:
        if not isinstance(layer, MarginHead):
            continue
        for node in layer._inbound_nodes:
            args = node.arguments.args[0] if node.arguments.args else None
            if isinstance(args, (list, tuple)) and len(args) == 2 and id(args[1]) in inputs:
                names.append(inputs[id(args[1])])
    return sorted(set(names))


def _input_specs(model: keras.Model) -> tuple[list[str], list[Any]]:
    import tensorflow as tf

    names, specs = [], []
    for i, tensor in enumerate(model.inputs):
        history = getattr(tensor, "_keras_history", None)
        name = _clean(history.operation.name if history else tensor.name, f"input_{i}")
        names.append(name)
        specs.append(tf.TensorSpec((None, *tensor.shape[1:]), tensor.dtype, name=name))
    if len(set(names)) != len(names):
        raise ValueError(f"Model input names must be unique, got {names}.")
    return names, specs


def _output_structure(model: keras.Model) -> Any:
    try:
        return model.output  # keeps a dict's own key order; Sequential models have none
    except AttributeError:
        return model.outputs


def _output_names(model: keras.Model, output_names: Sequence[str] | None) -> list[str]:
    outputs = _output_structure(model)
    count = len(keras.tree.flatten(outputs))
    if output_names is not None:
        if isinstance(output_names, str) or len(output_names) != count:
            raise ValueError(
                f"`output_names` must list {count} names (one per model output), "
                f"got {output_names!r}."
            )
        names = [str(n) for n in output_names]
        if any(_clean(n, "") != n for n in names):
            raise ValueError(f"`output_names` must be identifiers ([A-Za-z0-9_]), got {names}.")
    elif isinstance(outputs, dict):
        names = [_clean(k, f"output_{i}") for i, k in enumerate(outputs)]
    else:
        keras_names = list(getattr(model, "output_names", None) or [])
        if len(keras_names) != count:
            history = [getattr(t, "_keras_history", None) for t in keras.tree.flatten(outputs)]
            keras_names = [h.operation.name for h in history if h is not None]
        names = (
            [_clean(n, f"output_{i}") for i, n in enumerate(keras_names)]
            if len(keras_names) == count
            else []
        )
        names = names or [f"output_{i}" for i in range(count)]
    if len(set(names)) != len(names):
        raise ValueError(f"Output names must be unique, got {names}; pass `output_names`.")
    return names


def _calibration(
    data: Any, num_inputs: int, num_samples: int
) -> Callable[[], Iterable[list[np.ndarray]]]:
    if callable(data):
        return data
    arrays = [np.asarray(a, dtype="float32") for a in (data if num_inputs > 1 else [data])]
    if len(arrays) != num_inputs or len({len(a) for a in arrays}) != 1 or len(arrays[0]) == 0:
        raise ValueError(
            f"`representative_data` must hold {num_inputs} non-empty array(s) of equal length."
        )
    index = np.random.default_rng(0).permutation(len(arrays[0]))[:num_samples]

    def generator() -> Iterable[list[np.ndarray]]:
        for i in index:
            yield [a[i : i + 1] for a in arrays]

    return generator


def _unsupported_ops(error: Exception) -> UnsupportedOpsError | None:
    ops, locations = [], []
    for data in getattr(error, "errors", None) or []:
        text = str(data)
        name = getattr(getattr(data, "operator", None), "name", "")
        if name and (
            "NEEDS_FLEX" in text or "NEEDS_CUSTOM" in text or "neither a custom op" in text
        ):
            op = name.removeprefix("tf.")
            if op not in ops:
                ops.append(op)
                match = _LOCATION.search(text)
                locations.append(match.group(1) if match else "")
    if not ops:
        message = str(error)
        ops = list(dict.fromkeys(_NOT_BUILTIN.findall(message)))
        for listed in _OP_LIST.findall(message):
            ops += [op.strip() for op in listed.split(",") if op.strip() and op.strip() not in ops]
        locations = [""] * len(ops)
    return UnsupportedOpsError(ops, locations, detail=str(error)) if ops else None


def _shape(shape: Sequence[int]) -> tuple[int | None, ...]:
    return tuple(None if d < 0 else int(d) for d in shape)
