"""Reading and rewriting `.tflite` flatbuffers (operator codes, tensor names, output order)."""

from __future__ import annotations

import functools
import json
from typing import Any

import flatbuffers
import numpy as np

METADATA_NAME = "kzoo_export"


@functools.cache
def _schema() -> Any:
    """The `.tflite` schema, imported on first use (training never needs TensorFlow)."""
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:  # pragma: no cover - the litert extra is optional for conversion
        from tensorflow.lite.python import schema_py_generated as schema
    return schema


@functools.cache
def _op_names_by_code() -> dict[int, str]:
    ops = _schema().BuiltinOperator
    return {v: k for k, v in vars(ops).items() if not k.startswith("_")}


def read_model(content: bytes) -> Any:
    return _schema().ModelT.InitFromPackedBuf(bytearray(content), 0)


def write_model(model: Any) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _code(op_code: Any) -> int:
    return max(int(op_code.builtinCode), int(op_code.deprecatedBuiltinCode))


def op_names(model: Any) -> list[str]:
    """Names of the ops the model uses: builtin names, or `Custom:<code>` / `Flex:<op>`."""
    names = []
    for op_code in model.operatorCodes or []:
        if _code(op_code) == _schema().BuiltinOperator.CUSTOM:
            custom = (
                op_code.customCode.decode()
                if isinstance(op_code.customCode, bytes)
                else str(op_code.customCode)
            )
            names.append(f"Flex:{custom[4:]}" if custom.startswith("Flex") else f"Custom:{custom}")
        else:
            names.append(_op_names_by_code().get(_code(op_code), f"BUILTIN_{_code(op_code)}"))
    return sorted(set(names))


def non_builtin_ops(model: Any) -> list[str]:
    return [name for name in op_names(model) if name.startswith(("Flex:", "Custom:"))]


def _decode(name: Any) -> str:
    return name.decode() if isinstance(name, bytes) else str(name)


def rename_and_reorder(
    model: Any, input_names: list[str], output_names: list[str], metadata: dict[str, Any]
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """Orders the main subgraph's inputs/outputs as given and names their tensors after the
    signature's names; appends `metadata` as JSON. Returns the input and output shapes."""
    if not model.signatureDefs or len(model.signatureDefs) != 1:
        raise RuntimeError("Expected exactly one signature in the converted model.")
    signature = model.signatureDefs[0]
    subgraph = model.subgraphs[signature.subgraphIndex]
    shapes = []
    for maps, names, attr in (
        (signature.inputs, input_names, "inputs"),
        (signature.outputs, output_names, "outputs"),
    ):
        by_name = {_decode(m.name): m for m in maps}
        if sorted(by_name) != sorted(names):
            raise RuntimeError(
                f"Signature {attr} {sorted(by_name)} do not match the expected {sorted(names)}."
            )
        ordered = [by_name[n] for n in names]
        maps[:] = ordered
        setattr(subgraph, attr, np.asarray([m.tensorIndex for m in ordered], dtype=np.int32))
        for m in ordered:
            subgraph.tensors[m.tensorIndex].name = _decode(m.name)
        shapes.append(
            [
                tuple(
                    int(d)
                    for d in (
                        subgraph.tensors[m.tensorIndex].shapeSignature
                        if subgraph.tensors[m.tensorIndex].shapeSignature is not None
                        else subgraph.tensors[m.tensorIndex].shape
                    )
                )
                for m in ordered
            ]
        )
    payload = np.frombuffer(json.dumps(metadata, sort_keys=True).encode(), dtype=np.uint8)
    buffer = _schema().BufferT()
    buffer.data = payload
    model.buffers.append(buffer)
    entry = _schema().MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata = (model.metadata or []) + [entry]
    return shapes[0], shapes[1]


def read_metadata(content: bytes) -> dict[str, Any] | None:
    """The `kzoo_export` JSON metadata of a `.tflite` file written by `to_tflite`, if any."""
    model = read_model(content)
    for entry in model.metadata or []:
        if _decode(entry.name) == METADATA_NAME:
            return json.loads(
                bytes(np.asarray(model.buffers[entry.buffer].data, dtype=np.uint8)).decode()
            )
    return None
