"""Every script in `examples/` runs as a user runs it (a fresh process, from the repository root,
the command of its docstring on a small slice) and prints or writes what its docstring promises.
`train_at_scale.py` runs in tests/training/test_distribution.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["tensorflow", "jax"]


def run_example(script: str, args: list[str], backend: str) -> str:
    """A fresh process with this one's environment (the `fresh_caches` fixture's caches)."""
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    command = [sys.executable, f"examples/{script}", *args]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_fine_tune_faces(backend, fresh_caches):
    report = fresh_caches / "faces.json"
    args = ["--local-hub", "--epochs", "2", "--json", str(report)]
    run_example("fine_tune_faces.py", args, backend)
    result = json.loads(report.read_text())
    assert result["model"] == "sphereface_resnet20" and result["epochs"] == 2
    rates = {k: v for k, v in result.items() if "accuracy" in k or k.startswith("open_set")}
    assert len(rates) == 5 and all(0.0 <= v <= 1.0 for v in rates.values())
    assert result["raw_pixel_1nn_accuracy"] == pytest.approx(0.967, abs=1e-3)  # README's figure
    assert result["closed_set_test_accuracy"] > 4 / 40  # two epochs from the pretrained backbone


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_litert_inference_demo(quantize, fresh_caches):
    args = ["--demo", "--quantize", quantize, "--num-images", "32"]
    out = run_example("litert_inference.py", args, "tensorflow")
    assert re.search(rf"^exported \S+\.tflite \([\d.]+ KiB, {quantize}\), outputs", out, re.M), out
    assert re.search(r"input image \[1, 28, 28, 1\] float32; outputs", out), out
    assert len(re.findall(r"^image \d+: true ", out, re.M)) == 32
    correct = int(re.search(r"^(\d+)/32 correct$", out, re.M).group(1))
    assert correct >= 10, out  # chance is 10%; the 3-epoch demo CNN got 18/32 here


@pytest.mark.parametrize("backend", BACKENDS)
def test_mnist_2d_features(backend, fresh_caches):
    picture = fresh_caches / "features.png"
    args = ["--output", str(picture), "--train-samples", "2000", "--test-samples", "500"]
    args += ["--epochs", "8", "--batch-size", "32", "--learning-rate", "1e-3"]
    args += ["--only", "ArcFace", "CosFace"]
    out = run_example("mnist_2d_features.py", args, backend)
    accuracy = dict(re.findall(r"^(\S+).*test accuracy ([\d.]+)", out, re.M))
    assert set(accuracy) == {"ArcFace", "CosFace"}, out
    # Chance is 0.1. Either head alone now and then collapses its 2-D features (0.17-0.30 in
    # 2 of 80 runs here, 0.48-0.80 otherwise), so the test asks for one learned head.
    assert max(float(a) for a in accuracy.values()) > 0.3, out
    assert picture.read_bytes()[:4] == b"\x89PNG" and f"saved {picture}" in out


@pytest.mark.parametrize("backend", BACKENDS)
def test_triplet_fashion_mnist(backend, fresh_caches):
    args = ["--epochs", "1", "--train-samples", "1024", "--out", str(fresh_caches)]
    out = run_example("triplet_fashion_mnist.py", args, backend)
    results = json.loads((fresh_caches / "results.json").read_text())
    assert json.loads(out.strip().splitlines()[-1]) == results
    assert results["backend"] == backend and results["samples_per_epoch"] == 1024
    recall, map_at_r = results["recall_at_1"], results["map_at_r"]
    assert 0.5 < recall <= 1.0 and 0.0 < map_at_r < recall
    projection = fresh_caches / "fashion_mnist_projection.png"
    assert projection.read_bytes()[:4] == b"\x89PNG"
