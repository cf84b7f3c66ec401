"""Check a `.tflite` file against its Keras model with the LiteRT interpreter."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from kzoo.export import _flatbuffer
from kzoo.export.unsupported_ops_error import UnsupportedOpsError

KINDS = ("embedding", "logits", "other")


def load_interpreter(path: str | os.PathLike, num_threads: int | None = None) -> Any:
    """An `ai_edge_litert` interpreter for `path` (not the deprecated `tf.lite.Interpreter`)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Verification needs the LiteRT runtime: pip install 'kzoo[litert]'."
        ) from error
    return Interpreter(model_path=os.fspath(path), num_threads=num_threads)


def run_tflite(
    path: str | os.PathLike, inputs: np.ndarray | list[np.ndarray], batch_size: int = 64
) -> dict[str, np.ndarray]:
    """Runs the file's `serving_default` signature on `inputs` in batches; outputs by name."""
    interpreter = load_interpreter(path)
    runner = interpreter.get_signature_runner()
    names = list(runner.get_input_details())
    arrays = [np.asarray(a) for a in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
    if len(arrays) != len(names):
        raise ValueError(
            f"`inputs` must hold {len(names)} array(s) for inputs {names}, got {len(arrays)}."
        )
    dtypes = [d["dtype"] for d in runner.get_input_details().values()]
    chunks: dict[str, list[np.ndarray]] = {}
    for start in range(0, len(arrays[0]), batch_size):
        feed = {
            n: a[start : start + batch_size].astype(t)
            for n, a, t in zip(names, arrays, dtypes, strict=True)
        }
        for name, value in runner(**feed).items():
            chunks.setdefault(name, []).append(np.array(value))
    return {name: np.concatenate(parts) for name, parts in chunks.items()}


def verify_tflite(
    model: keras.Model,
    path: str | os.PathLike,
    x: np.ndarray | list[np.ndarray],
    y: np.ndarray | None = None,
    *,
    output_kinds: Mapping[str, str] | None = None,
    tolerance: float | None = None,
    batch_size: int = 64,
) -> dict[str, Any]:
    """Compares a `.tflite` written by `to_tflite` with `model` on real inputs.

    For every output: max/mean absolute difference to Keras. For `logits` outputs: top-1
    agreement (same argmax) and, with labels, Keras vs LiteRT accuracy and their change. For
    `embedding` outputs: agreement of the leave-one-out nearest neighbour (cosine) within `x`
    and, with labels, the 1-NN accuracy of each. Also checks that the file's output tensors are
    named and ordered as the Keras outputs. A file that needs flex or custom ops (e.g. from
    Keras' own `model.export(format="litert")`) raises `UnsupportedOpsError` before running.

    Args:
        model: the Keras model that was exported (any backend can run it).
        path: the `.tflite` file.
        x: test inputs (array, or list of arrays for multi-input models).
        y: optional integer labels of `x`.
        output_kinds: output name -> `"embedding"`, `"logits"` or `"other"`; by default names
            containing "logit" are logits, names containing "emb" embeddings.
        tolerance: max abs difference allowed on embedding outputs (all outputs when there is
            no embedding output); default 1e-4 for float32 files, no threshold when quantized.
        batch_size: inference batch size for both runtimes.

    Returns:
        A JSON-serialisable dict for a manifest entry / model card, with `passed` (bool, or
        `None` when there is no threshold).

    Example:
        >>> report = verify_tflite(model, "model.tflite", x_test[:1000], y_test[:1000])
        >>> report["outputs"]["logits"]["top1_agreement"]
        1.0
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        content = f.read()
    unsupported = _flatbuffer.non_builtin_ops(_flatbuffer.read_model(content))
    if unsupported:
        raise UnsupportedOpsError(unsupported)
    meta = _flatbuffer.read_metadata(content) or {}
    quantize = meta.get("quantize", "unknown")
    interpreter = load_interpreter(path)
    file_names = [d["name"] for d in interpreter.get_output_details()]
    names = list(meta.get("output_names") or file_names)
    litert = run_tflite(path, x, batch_size=batch_size)
    predicted = model.predict(x, batch_size=batch_size, verbose=0)
    if isinstance(predicted, dict):
        flat = (
            [predicted[n] for n in names] if set(names) <= set(predicted) else [*predicted.values()]
        )
    else:
        flat = keras.tree.flatten(predicted)
    if len(flat) != len(names):
        raise ValueError(
            f"The model has {len(flat)} outputs but the file has {len(names)}: {names}."
        )
    kinds = {n: (output_kinds or {}).get(n) or _guess_kind(n) for n in names}
    bad = {n: k for n, k in kinds.items() if k not in KINDS}
    if bad:
        raise ValueError(f"`output_kinds` values must be one of {KINDS}, got {bad}.")
    if tolerance is None and quantize == "none":
        tolerance = 1e-4
    outputs = {
        n: _compare(np.asarray(k, np.float64), np.asarray(litert[n], np.float64), kinds[n], y)
        for n, k in zip(names, flat, strict=True)
    }
    checked = [n for n in names if kinds[n] == "embedding"] or names
    report: dict[str, Any] = {
        "format": "tflite",
        "quantize": quantize,
        "size_bytes": len(content),
        "runtime": f"ai-edge-litert {importlib.metadata.version('ai-edge-litert')}",
        "num_samples": int(len(litert[names[0]])),
        "output_names": names,
        "output_order_ok": file_names == names,
        "outputs": outputs,
        "tolerance": tolerance,
    }
    order_ok = report["output_order_ok"]
    report["passed"] = (
        None
        if tolerance is None
        else bool(order_ok and all(outputs[n]["max_abs_diff"] <= tolerance for n in checked))
    )
    return report


def _guess_kind(name: str) -> str:
    lowered = name.lower()
    return "logits" if "logit" in lowered else "embedding" if "emb" in lowered else "other"


def _compare(
    keras_out: np.ndarray, litert_out: np.ndarray, kind: str, y: np.ndarray | None
) -> dict[str, Any]:
    if keras_out.shape != litert_out.shape:
        raise ValueError(f"Shape mismatch: Keras {keras_out.shape} vs LiteRT {litert_out.shape}.")
    diff = np.abs(keras_out - litert_out)
    result: dict[str, Any] = {
        "kind": kind,
        "max_abs_diff": float(diff.max()),
        "mean_abs_diff": float(diff.mean()),
    }
    if kind == "logits":
        a, b = keras_out.argmax(-1), litert_out.argmax(-1)
    elif kind == "embedding" and len(keras_out) > 1:
        a, b = _nearest_neighbour(keras_out), _nearest_neighbour(litert_out)
    else:
        return result
    result["top1_agreement"] = float(np.mean(a == b))
    if y is not None:
        y = np.asarray(y).reshape(-1)
        ref, got = (a, b) if kind == "logits" else (y[a], y[b])
        result["keras_accuracy"] = float(np.mean(ref == y))
        result["litert_accuracy"] = float(np.mean(got == y))
        result["accuracy_change"] = result["litert_accuracy"] - result["keras_accuracy"]
    return result


def _nearest_neighbour(embeddings: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """Index of each row's most cosine-similar other row."""
    e = embeddings.reshape(len(embeddings), -1)
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    nearest = np.empty(len(e), dtype=np.int64)
    for start in range(0, len(e), chunk):
        sim = e[start : start + chunk] @ e.T
        sim[np.arange(len(sim)), np.arange(start, start + len(sim))] = -np.inf
        nearest[start : start + chunk] = sim.argmax(1)
    return nearest
