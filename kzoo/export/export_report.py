"""What `to_tflite` wrote: the file, its interface and the ops it uses."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class ExportReport:
    """Summary of one `.tflite` export, ready for a manifest entry or a model card.

    Args:
        path: the written file.
        quantize: `"none"`, `"fp16"` or `"int8"`.
        size_bytes: file size.
        input_names, input_shapes: the signature inputs (batch dimension `None`).
        output_names, output_shapes: the outputs, in the Keras model's output order; the
            file's subgraph outputs and tensor names follow the same order and names.
        ops: the builtin op names the file uses, sorted.
        tensorflow_version, keras_version: the converting toolchain.
        seconds: conversion wall time.
    """

    path: str
    quantize: str
    size_bytes: int
    input_names: tuple[str, ...]
    input_shapes: tuple[tuple[int | None, ...], ...]
    output_names: tuple[str, ...]
    output_shapes: tuple[tuple[int | None, ...], ...]
    ops: tuple[str, ...]
    tensorflow_version: str
    keras_version: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (tuples become lists)."""
        return {
            k: [list(s) if isinstance(s, tuple) else s for s in v] if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(self).items()
        }
