"""Export a Keras model to LiteRT and verify it on labelled test data, in one call."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from kzoo.export.to_tflite import representative_sample, to_tflite
from kzoo.export.verify import verify_tflite


def export_verified(
    model: Any,
    output: str | os.PathLike,
    *,
    quantize: str = "none",
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    x_calibration: np.ndarray | None = None,
    num_test: int | None = 2000,
    num_calibration: int = 200,
    name: str | None = None,
) -> dict[str, Any]:
    """Exports `model` to `.tflite` and, given test data, verifies the file against Keras.

    int8 calibration uses a seeded sample of `num_calibration` rows of `x_calibration`;
    verification runs the first `num_test` test inputs (`None`: all of them) through both.

    Args:
        model: the inference `keras.Model` (heads called without labels; outputs e.g.
            `[embedding, logits]`).
        output: destination file.
        quantize: `"none"`, `"fp16"` or `"int8"`.
        x_test, y_test: model-ready test inputs and their labels; None skips verification.
        x_calibration: model-ready inputs for int8 calibration (required for int8).
        num_test, num_calibration: test and calibration sample counts.
        name: how messages name the model (default: the model's name).

    Returns:
        `{"name", "export": ExportReport.to_dict(), "verify": verify report or None}`.

    Example:
    ```python
    result = export_verified(model, "m.tflite", quantize="fp16", x_test=x, y_test=y)
    ```
    """
    name = name or getattr(model, "name", "model")
    if quantize == "int8" and x_calibration is None:
        raise ValueError("`x_calibration` is required for quantize='int8'.")
    if (x_test is None) != (y_test is None):
        raise ValueError("Pass both `x_test` and `y_test` (or neither, to skip verification).")
    calibration = (
        representative_sample(x_calibration, num_calibration) if quantize == "int8" else None
    )
    report = to_tflite(model, output, quantize=quantize, representative_data=calibration)
    checked = None
    if x_test is not None:
        checked = verify_tflite(model, report.path, x_test[:num_test], y_test[:num_test])
        if checked["passed"] is False:
            raise RuntimeError(f"LiteRT output of {name} differs from Keras: {checked['outputs']}")
    return {"name": name, "export": report.to_dict(), "verify": checked}
