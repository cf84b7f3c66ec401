"""Margin heads export to LiteRT with builtin ops only, margined (labels) path included."""

import keras
import numpy as np
import pytest

from kzoo import heads
from kzoo.export import to_tflite

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="LiteRT conversion needs TensorFlow"
)
pytest.importorskip("ai_edge_litert")


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (heads.ArcFace, {"scale": 16.0, "margin": 0.5}),
        (heads.CosFace, {"scale": 16.0}),
        (heads.SphereFace, {"margin": 4}),
    ],
)
def test_margined_logits_convert_with_builtins_only(cls, kwargs, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    embeddings, labels = keras.Input((6,), name="e"), keras.Input((), dtype="int32", name="y")
    model = keras.Model([embeddings, labels], cls(10, **kwargs)([embeddings, labels]))
    report = to_tflite(model, tmp_path / "head.tflite", allow_label_inputs=True)
    assert not any(op.startswith(("Flex", "Custom")) for op in report.ops), report.ops
    assert not {"ACOS", "ASIN"} & {op.upper() for op in report.ops}, report.ops
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6)).astype("float32")
    y = np.array([0, 3, 9, 3], "int32")
    interpreter = Interpreter(model_path=str(report.path))
    details = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    for name, value in (("e", x), ("y", y)):
        index = next(i for n, i in details.items() if name in n)
        interpreter.resize_tensor_input(index, value.shape)
    interpreter.allocate_tensors()
    for name, value in (("e", x), ("y", y)):
        interpreter.set_tensor(next(i for n, i in details.items() if name in n), value)
    interpreter.invoke()
    out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(out, model.predict([x, y], verbose=0), atol=1e-4)
