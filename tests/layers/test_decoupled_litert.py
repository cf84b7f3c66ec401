"""The decoupled layers convert to LiteRT with TFLite builtins only and match Keras."""

import keras
import numpy as np
import pytest

from kzoo.layers import DecoupledConv2D, DecoupledDense
from kzoo.testing import to_numpy


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((10, 10, 2), batch_size=2)
    x = DecoupledConv2D(
        4,
        3,
        padding="same",
        magnitude="tanh",
        angular="sigmoid",
        learnable_rho=True,
        normalize_norm=True,
    )(inputs)
    x = DecoupledConv2D(
        4,
        3,
        strides=2,
        magnitude="segmented",
        angular="linear",
        weighting="nonlinear",
        use_bias=True,
    )(x)
    x = DecoupledConv2D(
        4,
        2,
        dilation_rate=2,
        padding="same",
        magnitude="mix",
        angular="square_cosine",
        activation="relu",
    )(x)
    x = keras.layers.Flatten()(x)
    x = DecoupledDense(6, magnitude="ball", angular="cosine", weighting="linear")(x)
    x = DecoupledDense(3, magnitude="log", angular="linear")(x)
    outputs = DecoupledDense(3, magnitude="sphere", angular="sigmoid")(x)
    return keras.Model(inputs, outputs)


def test_litert_builtins_only_matches_keras():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("LiteRT conversion needs the TensorFlow backend")
    tf = pytest.importorskip("tensorflow")
    interpreter_module = pytest.importorskip("ai_edge_litert.interpreter")
    model = _model()
    model.layers[1].moving_norm_mean.assign(3.0)
    x = np.random.default_rng(0).normal(size=(2, 10, 10, 2)).astype("float32")
    x[0, :4, :4] = 0.0  # zero patches
    expected = to_numpy(model(x))

    # from_concrete_functions([fn], model) keeps VAR_HANDLE/READ_VARIABLE ops, which the
    # interpreter leaves uninitialized (garbage outputs); from_keras_model freezes the weights.
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    flatbuffer = converter.convert()

    interpreter = interpreter_module.Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    actual = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=1e-4)
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert "ATAN2" in ops and "CONV_2D" in ops, ops
    assert not any(name.startswith("FLEX") or "VARIABLE" in name for name in ops), ops


def test_int8_file_runs_on_all_zero_patches(tmp_path):
    """An int8 DIV refuses a denominator that quantizes to zero; the norms are not divided by."""
    if keras.backend.backend() != "tensorflow":
        pytest.skip("LiteRT conversion needs the TensorFlow backend")
    pytest.importorskip("ai_edge_litert")
    from kzoo.export import to_tflite
    from kzoo.export.verify import run_tflite

    keras.utils.set_random_seed(1)
    inputs = keras.Input((12, 12, 1))
    x = DecoupledConv2D(8, 3, padding="same", magnitude="tanh", angular="cosine")(inputs)
    x = DecoupledConv2D(8, 3, padding="same", magnitude="linear", angular="cosine")(x)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(32, 12, 12, 1)).astype("float32") * 30
    x[:, :6] = 0.0  # background: every patch there is all zeros
    path = tmp_path / "decoupled-int8.tflite"
    to_tflite(model, path, quantize="int8", representative_data=x)
    out = next(iter(run_tflite(path, x).values()))
    expected = to_numpy(model(x))
    assert np.all(np.isfinite(out))
    assert out.shape == expected.shape
    # int8 is lossy here (1/‖x‖ spans [~0.03, 1/√ε = 100] under one scale): only the crash
    # (DIV by a zero-quantized norm) is tested; the zoo records the accuracy change.
