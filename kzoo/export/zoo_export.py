"""`kzoo export NAME`: export a zoo model to LiteRT and verify it (manifest, model card)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from kzoo.export.to_tflite import representative_sample, to_tflite
from kzoo.export.verify import verify_tflite

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def export_zoo_model(
    name: str,
    output: str | os.PathLike | None = None,
    *,
    quantize: str = "none",
    verify: bool = True,
    load: Callable[[str], Any] | None = None,
    load_data: Callable[[str], Arrays] | None = None,
    num_test: int | None = 2000,
    num_calibration: int = 200,
    manifest: Any = None,
) -> dict[str, Any]:
    """Exports zoo model `name` to `.tflite` and verifies it on its own test set.

    The zoo supplies two hooks (injectable for tests):
    `load(name)` returns the inference `keras.Model` (heads called without labels; outputs
    e.g. `[embedding, logits]`), and `load_data(name)` returns model-ready
    `(x_train, y_train), (x_test, y_test)` of the dataset the model was trained on. int8
    calibration uses a seeded sample of `x_train`; verification the first `num_test` test
    images.

    Args:
        name: zoo model name.
        output: destination file; default `<name>-<quantize>.tflite` in the working directory.
        quantize: `"none"`, `"fp16"` or `"int8"`.
        verify: run `verify_tflite` after exporting.
        load, load_data: the hooks above; default `kzoo.zoo.load` / `kzoo.zoo.load_data`.
        num_test, num_calibration: test and calibration sample counts (`num_test=None`: the
            whole test split).
        manifest: the zoo manifest for the default hooks (default: the project's).

    Returns:
        `{"name", "export": ExportReport.to_dict(), "verify": verify report or None}`, to be
        stored in the manifest entry (e.g. under `exports["tflite-int8"]`) and the model card.
    """
    if load is None or (load_data is None and (verify or quantize == "int8")):
        from kzoo import zoo  # the registry; imported lazily so export works without it

        load = load or (lambda n: zoo.load(n, manifest=manifest, progress=False))
        load_data = load_data or (lambda n: zoo.load_data(n, manifest=manifest))
    model = load(name)
    needs_data = verify or quantize == "int8"
    (x_train, _), (x_test, y_test) = load_data(name) if needs_data else ((None, None), (None, None))
    calibration = representative_sample(x_train, num_calibration) if quantize == "int8" else None
    output = output or f"{name.replace('/', '_')}-{quantize}.tflite"
    report = to_tflite(model, output, quantize=quantize, representative_data=calibration)
    checked = None
    if verify:
        checked = verify_tflite(model, report.path, x_test[:num_test], y_test[:num_test])
        if checked["passed"] is False:
            raise RuntimeError(f"LiteRT output of {name} differs from Keras: {checked['outputs']}")
    return {"name": name, "export": report.to_dict(), "verify": checked}
