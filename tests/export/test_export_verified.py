"""`export_verified` (export + verify, knowing nothing of the zoo), and the `kzoo export` parser."""

import argparse
import json

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="TFLite conversion runs under the TF backend"
)
pytest.importorskip("ai_edge_litert")

from kzoo.cli import export_cmd as export_cli  # noqa: E402
from kzoo.export.export_verified import export_verified  # noqa: E402


def _model():
    keras.utils.set_random_seed(4)
    inputs = keras.Input((6,), name="features")
    embedding = keras.layers.UnitNormalization(name="embedding")(keras.layers.Dense(4)(inputs))
    return keras.Model(inputs, [embedding, keras.layers.Dense(3, name="logits")(embedding)])


def _data():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(300, 6)).astype("float32"), rng.integers(0, 3, 300)
    return (x[:200], y[:200]), (x[200:], y[200:])


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_export_verified(quantize, tmp_path):
    out = tmp_path / f"tiny-{quantize}.tflite"
    (x_train, _), (x_test, y_test) = _data()
    result = export_verified(
        _model(),
        out,
        quantize=quantize,
        x_test=x_test,
        y_test=y_test,
        x_calibration=x_train,
        num_calibration=50,
        name="tiny-cosface",
    )
    json.dumps(result)
    assert result["export"]["output_names"] == ["embedding", "logits"]
    assert result["export"]["quantize"] == quantize and out.stat().st_size > 0
    verify = result["verify"]
    assert verify["num_samples"] == 100 and verify["output_order_ok"] is True
    assert verify["passed"] is (True if quantize == "none" else None)
    assert verify["outputs"]["logits"]["top1_agreement"] >= 0.9


def test_export_verified_checks_its_data(tmp_path):
    with pytest.raises(ValueError, match="`x_calibration` is required"):
        export_verified(_model(), tmp_path / "a.tflite", quantize="int8")
    (_, _), (x_test, _) = _data()
    with pytest.raises(ValueError, match="both `x_test` and `y_test`"):
        export_verified(_model(), tmp_path / "a.tflite", x_test=x_test)
    result = export_verified(_model(), tmp_path / "b.tflite")
    assert result["verify"] is None and result["export"]["quantize"] == "none"


def test_cli_parser_round_trip():
    parser = argparse.ArgumentParser()
    export_cli.add_parser(parser.add_subparsers(dest="command"))
    argv = [
        "export",
        "tiny-cosface",
        "--format",
        "tflite",
        "--quantize",
        "int8",
        "--output",
        "t.tflite",
    ]
    args = parser.parse_args(argv)
    assert args.func is export_cli.run and args.quantize == "int8" and not args.no_verify
    assert export_cli._argv(args) == argv
    with pytest.raises(SystemExit):
        parser.parse_args(["export", "x", "--quantize", "int4"])
