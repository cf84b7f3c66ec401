"""LiteRT export: numerics, output names/order, flex-op refusal, quantization, atomic writes."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TFLite conversion runs under the TF backend"
)
pytest.importorskip("ai_edge_litert")

from ai_edge_litert.interpreter import Interpreter  # noqa: E402

from kzoo import datasets  # noqa: E402
from kzoo.export import (  # noqa: E402
    UnsupportedOpsError,
    _flatbuffer,  # noqa: E402
    representative_sample,
    to_tflite,
    verify_tflite,
)

BUILD_SOURCE = textwrap.dedent(
    """
    import keras

    def build_model(order=("embedding", "logits")):
        inputs = keras.Input((28, 28, 1), name="image")
        x = keras.layers.Conv2D(8, 3, strides=2, activation="relu")(inputs)
        x = keras.layers.Conv2D(16, 3, strides=2, activation="relu")(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        x = keras.layers.Dense(16)(x)
        embedding = keras.layers.UnitNormalization(name="embedding")(x)
        logits = keras.layers.Dense(10, name="logits")(embedding)
        outputs = {"embedding": embedding, "logits": logits}
        return keras.Model(inputs, [outputs[name] for name in order])
    """
)
_namespace: dict = {}
exec(BUILD_SOURCE, _namespace)
build_model = _namespace["build_model"]


def _images(x):
    return (x.astype("float32") / 255.0)[..., None]


@pytest.fixture(scope="module")
def data():
    (x_train, y_train), (x_test, y_test) = datasets.load_fashion_mnist()
    return _images(x_train[:3000]), y_train[:3000], _images(x_test[:400]), y_test[:400]


@pytest.fixture(scope="module")
def trained(data):
    keras.utils.set_random_seed(0)
    x_train, y_train, _, _ = data
    model = build_model()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=[None, loss])
    model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0)
    return model


def _invoke(path, x):
    """Runs the file through the plain tensor API: outputs in subgraph order, with names."""
    interpreter = Interpreter(model_path=str(path))
    interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    details = interpreter.get_output_details()
    return [d["name"] for d in details], [interpreter.get_tensor(d["index"]) for d in details]


def test_fp32_matches_keras_on_real_images(trained, data, tmp_path):
    _, _, x_test, y_test = data
    report = to_tflite(trained, tmp_path / "m.tflite")
    assert report.quantize == "none" and report.size_bytes == os.path.getsize(report.path)
    assert not any(op.startswith(("Flex", "Custom")) for op in report.ops)
    names, (embedding, logits) = _invoke(report.path, x_test)
    keras_embedding, keras_logits = (np.asarray(v) for v in trained.predict(x_test, verbose=0))
    assert names == ["embedding", "logits"]
    assert np.max(np.abs(embedding - keras_embedding)) <= 1e-4
    np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, atol=1e-5)
    assert np.mean(logits.argmax(1) == keras_logits.argmax(1)) == 1.0

    result = verify_tflite(trained, report.path, x_test, y_test)
    json.dumps(result)
    assert result["passed"] is True and result["output_order_ok"] is True
    assert result["tolerance"] == 1e-4 and result["quantize"] == "none"
    emb = result["outputs"]["embedding"]
    assert emb["max_abs_diff"] == pytest.approx(
        np.max(np.abs(embedding - keras_embedding)), abs=1e-6
    )
    assert result["outputs"]["logits"]["top1_agreement"] == 1.0
    assert result["outputs"]["logits"]["keras_accuracy"] > 0.5  # trained, not random (0.1)
    assert result["outputs"]["logits"]["accuracy_change"] == 0.0


@pytest.mark.parametrize(
    "order, output_names",
    [
        (("embedding", "logits"), None),
        (("logits", "embedding"), None),
        (("embedding", "logits"), ("zeta_embedding", "alpha_logits")),
    ],
)
def test_output_names_and_order_follow_keras(order, output_names, tmp_path):
    keras.utils.set_random_seed(1)
    model = build_model(order)
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    report = to_tflite(model, tmp_path / "m.tflite", output_names=output_names)
    expected = list(output_names or order)
    assert list(report.output_names) == expected
    assert report.output_shapes == tuple((None, 16 if "emb" in n else 10) for n in expected)
    names, values = _invoke(report.path, x)
    assert names == expected
    for value, reference in zip(values, model.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(value, reference, atol=1e-5)
    runner = Interpreter(model_path=report.path).get_signature_runner()
    by_name = runner(image=x)
    for name, reference in zip(expected, model.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(by_name[name], reference, atol=1e-5)
    assert _flatbuffer.read_metadata(open(report.path, "rb").read())["output_names"] == expected


def test_dict_outputs_keep_the_model_key_order(tmp_path):
    inputs = keras.Input((5,), name="features")
    outputs = {
        "z_logits": keras.layers.Dense(3)(inputs),
        "a_embedding": keras.layers.Dense(2)(inputs),
    }
    model = keras.Model(inputs, outputs)
    report = to_tflite(model, tmp_path / "d.tflite")
    assert report.input_names == ("features",) and report.output_names == (
        "z_logits",
        "a_embedding",
    )
    x = np.random.default_rng(5).random((3, 5), dtype=np.float32)
    names, values = _invoke(report.path, x)
    assert names == ["z_logits", "a_embedding"]
    reference = model.predict(x, verbose=0)
    for name, value in zip(names, values, strict=True):
        np.testing.assert_allclose(value, reference[name], atol=1e-5)
    assert verify_tflite(model, report.path, x)["passed"] is True


def test_single_output_sequential_model(tmp_path):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="scores")])
    report = to_tflite(model, tmp_path / "s.tflite")
    assert report.output_names == ("scores",) and report.input_shapes == ((None, 5),)
    x = np.random.default_rng(1).random((3, 5), dtype=np.float32)
    names, (value,) = _invoke(report.path, x)
    assert names == ["scores"]
    np.testing.assert_allclose(value, model.predict(x, verbose=0), atol=1e-5)


class _Arccos(keras.layers.Layer):
    def call(self, x):
        return keras.ops.arccos(keras.ops.clip(x, -0.9, 0.9))


class _Arcsin(keras.layers.Layer):
    def call(self, x):
        return keras.ops.arcsin(keras.ops.clip(x, -0.9, 0.9))


class _Cumprod(keras.layers.Layer):
    def call(self, x):
        return keras.ops.cumprod(keras.ops.abs(x) + 0.5, axis=-1)


@pytest.mark.parametrize(
    "layer_cls, op", [(_Arccos, "Acos"), (_Arcsin, "Asin"), (_Cumprod, "Cumprod")]
)
def test_flex_ops_are_refused_with_the_op_named(layer_cls, op, tmp_path):
    inputs = keras.Input((4,), name="x")
    model = keras.Model(inputs, layer_cls(name="bad_angle")(keras.layers.Dense(3)(inputs)))
    target = tmp_path / "bad.tflite"
    target.write_bytes(b"previous export")
    with pytest.raises(UnsupportedOpsError, match=rf"unsupported op\(s\): {op}") as info:
        to_tflite(model, target)
    assert info.value.ops == [op]
    assert "bad_angle" in info.value.locations[0]
    assert "SELECT_TF_OPS" in str(info.value)
    assert target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.tflite"]


def test_keras_litert_export_enables_flex_and_we_detect_it(tmp_path):
    inputs = keras.Input((4,), name="x")
    model = keras.Model(inputs, _Cumprod()(keras.layers.Dense(3)(inputs)))
    path = tmp_path / "keras.tflite"
    model.export(str(path), format="litert", verbose=False)  # Keras adds SELECT_TF_OPS silently
    assert _flatbuffer.non_builtin_ops(_flatbuffer.read_model(path.read_bytes())) == [
        "Flex:Cumprod"
    ]
    x = np.random.default_rng(4).random((2, 4), dtype=np.float32)
    with pytest.raises(UnsupportedOpsError, match="Flex:Cumprod"):
        verify_tflite(model, path, x)


def test_quantized_files_work(trained, data, tmp_path):
    x_train, _, x_test, y_test = data
    sizes = {"none": to_tflite(trained, tmp_path / "none.tflite").size_bytes}
    calibration = representative_sample(x_train, num_samples=100)
    for mode, data_arg in (("fp16", None), ("int8", calibration)):
        report = to_tflite(
            trained, tmp_path / f"{mode}.tflite", quantize=mode, representative_data=data_arg
        )
        sizes[mode] = report.size_bytes
        result = verify_tflite(trained, report.path, x_test, y_test)
        assert result["quantize"] == mode and result["passed"] is None
        assert result["output_order_ok"] is True
        logits = result["outputs"]["logits"]
        assert logits["top1_agreement"] >= 0.9, (mode, logits)
        assert abs(logits["accuracy_change"]) <= 0.05, (mode, logits)
        assert 0 < result["outputs"]["embedding"]["max_abs_diff"] < 0.2
    assert sizes["int8"] < sizes["fp16"] < sizes["none"], sizes
    int8_types = {
        t.type
        for t in _flatbuffer.read_model(open(tmp_path / "int8.tflite", "rb").read())
        .subgraphs[0]
        .tensors
    }
    assert 9 in int8_types  # TensorType.INT8: activations and weights really are int8


def test_bad_arguments_are_named(tmp_path):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="representative_data"):
        to_tflite(model, tmp_path / "m.tflite", quantize="int8")
    with pytest.raises(ValueError, match="representative_data"):
        to_tflite(model, tmp_path / "m.tflite", representative_data=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="quantize"):
        to_tflite(model, tmp_path / "m.tflite", quantize="int4")
    with pytest.raises(ValueError, match="output_names"):
        to_tflite(model, tmp_path / "m.tflite", output_names=["a", "b"])
    with pytest.raises(TypeError, match="model"):
        to_tflite(lambda x: x, tmp_path / "m.tflite")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_writes_are_atomic(failing, tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    target = tmp_path / "m.tflite"
    target.write_bytes(b"previous export")

    original = getattr(os, failing)
    hits = []

    def boom(first, *args, **kwargs):
        name = os.readlink(f"/proc/self/fd/{first}") if failing == "fsync" else str(first)
        if os.path.basename(name).startswith(".m.tflite."):  # only our temp file fails
            hits.append(name)
            raise OSError("disk full")
        return original(first, *args, **kwargs)

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="disk full"):
        to_tflite(model, target)
    assert len(hits) == 1 and target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite"]
    monkeypatch.undo()
    to_tflite(model, target)
    assert target.read_bytes()[4:8] == b"TFL3"


def test_verify_fails_for_another_model(tmp_path):
    keras.utils.set_random_seed(2)
    exported, other = build_model(), build_model()
    path = to_tflite(exported, tmp_path / "m.tflite").path
    x = np.random.default_rng(2).random((8, 28, 28, 1), dtype=np.float32)
    assert verify_tflite(exported, path, x)["passed"] is True
    result = verify_tflite(other, path, x)
    assert result["passed"] is False and result["outputs"]["embedding"]["max_abs_diff"] > 1e-2


def test_weights_from_jax_export_from_tensorflow(tmp_path):
    pytest.importorskip("jax")
    script = BUILD_SOURCE + textwrap.dedent(
        f"""
        import numpy as np
        keras.utils.set_random_seed(3)
        model = build_model()
        rng = np.random.default_rng(3)
        x = rng.random((8, 28, 28, 1), dtype=np.float32)
        # New values written by the JAX backend (no fit: XLA compiles are slow on shared CPUs).
        noisy = [w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in model.get_weights()]
        model.set_weights(noisy)
        model.save_weights(r"{tmp_path / "jax.weights.h5"}")
        embedding, logits = (np.asarray(v) for v in model(x, training=False))
        np.savez(r"{tmp_path / "jax.npz"}", x=x, embedding=embedding, logits=logits)
        print(keras.backend.backend())
        """
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("jax")
    model = build_model()
    model.load_weights(tmp_path / "jax.weights.h5")
    reference = np.load(tmp_path / "jax.npz")
    names, (embedding, logits) = _invoke(
        to_tflite(model, tmp_path / "m.tflite").path, reference["x"]
    )
    assert names == ["embedding", "logits"]
    assert np.max(np.abs(embedding - reference["embedding"])) <= 1e-4
    np.testing.assert_allclose(logits, reference["logits"], atol=1e-4, rtol=1e-4)
    assert not np.allclose(
        reference["embedding"], build_model().predict(reference["x"], verbose=0)[0], atol=1e-2
    )
