"""Each README journey snippet, run as written (data sliced small where the snippet loads it)."""

import numpy as np
import pytest

import kzoo
from kzoo.models import MarginModel
from kzoo.testing.test_case import backend
from tests.readme_snippets import snippet

_LOAD_FASHION_MNIST = kzoo.datasets.load_fashion_mnist


def _small_fashion_mnist(n=256):
    (x_train, y_train), (x_test, y_test) = _LOAD_FASHION_MNIST()
    return (x_train[:n], y_train[:n]), (x_test[:64], y_test[:64])


@pytest.mark.skipif(backend() != "tensorflow", reason="the snippet exports to LiteRT (TensorFlow)")
def test_train_a_margin_head_in_one_call(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(kzoo.datasets, "load_fashion_mnist", _small_fashion_mnist)
    scope = {}
    exec(snippet("Train a margin head in one call"), scope)
    model = scope["model"]
    assert isinstance(model, MarginModel)
    assert scope["embeddings"].shape == (64, 128) and scope["logits"].shape == (64, 10)
    assert np.isfinite(model.history.history["loss"]).all()
    assert (tmp_path / "arcface_conv4.tflite").stat().st_size > 0


def _fine_tune_snippet(epochs: int) -> str:
    code = snippet("Fine-tune a zoo model")
    assert "epochs=30" in code
    return code.replace("epochs=30", f"epochs={epochs}")


def test_fine_tune_snippet_wiring(fresh_caches):
    """The snippet with 1 epoch (the 30-epoch run is the slow test below)."""
    scope = {}
    with kzoo.zoo.local_hub():
        exec(_fine_tune_snippet(1), scope)
    assert isinstance(scope["model"], MarginModel)
    assert scope["logits"].shape == (120, 40)


@pytest.mark.slow
def test_fine_tune_snippet_as_written(fresh_caches):
    import keras

    keras.utils.set_random_seed(0)
    scope = {}
    with kzoo.zoo.local_hub():
        exec(_fine_tune_snippet(30), scope)
    accuracy = float(np.mean(scope["logits"].argmax(-1) == scope["people"][~scope["train"]]))
    assert accuracy >= 0.90


def test_hf_snippet(fresh_caches):
    scope = {}
    with kzoo.zoo.local_hub():
        exec(snippet("Load with `hf://`"), scope)
    assert scope["model"].output_shape[1] == (None, 10)


def test_no_server_snippet(fresh_caches, monkeypatch, capsys):
    from kzoo.zoo import loading

    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setattr(loading, "hub_reachable", lambda *a, **k: False)
    scope = {}
    exec(snippet("Weights with no server"), scope)
    assert isinstance(scope["model"], MarginModel)
    assert "verified copy in hub/" in capsys.readouterr().err
