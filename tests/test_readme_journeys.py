"""Each README journey snippet, run as written (data sliced small where the snippet loads it)."""

import numpy as np
import pytest

import kzoo
from kzoo.models import MarginModel
from kzoo.testing.test_case import backend
from tests.readme_snippets import snippet


def _small_fashion_mnist(n=256):
    (x_train, y_train), (x_test, y_test) = kzoo.datasets.load_fashion_mnist()
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
