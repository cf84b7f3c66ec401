import keras
import numpy as np
import pytest

from kzoo.models import build_trr_mlp
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy
from kzoo.zoo import get_builder

pytestmark = pytest.mark.multi_backend


def _features(n=5, d=100):
    return np.random.default_rng(0).normal(size=(n, d)).astype("float32")


def forward_loops(model, x):
    """NumPy reference of the inference pass with explicit loops: ReLU layers, no dropout."""
    weights = {
        layer.name: [to_numpy(w).astype(np.float64) for w in layer.weights]
        for layer in model.layers
        if layer.weights
    }
    hidden = [name for name in weights if name.startswith("dense_")]
    embeddings, logits = [], []
    for row in x.astype(np.float64):
        h = row
        for name in hidden:
            kernel, bias = weights[name]
            h = np.array(
                [
                    max(0.0, sum(h[i] * kernel[i, j] for i in range(len(h))) + bias[j])
                    for j in range(kernel.shape[1])
                ]
            )
        kernel, bias = weights["logits"]
        embeddings.append(h)
        logits.append(h @ kernel + bias)
    return np.array(embeddings), np.array(logits)


class TestTRRMLP(TestCase):
    def test_seed_layout(self):
        model = build_trr_mlp()
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        assert [d.name for d in dense] == ["dense_0", "dense_1", "dense_2", "logits"]
        assert [d.units for d in dense] == [256, 256, 256, 10]
        assert [d.activation for d in dense[:3]] == [keras.activations.relu] * 3
        assert dense[3].activation is keras.activations.linear
        drops = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
        assert [round(d.rate, 6) for d in drops] == [0.4] * 3
        assert model.input_shape == (None, 100)
        assert model.output_shape == [(None, 256), (None, 10)]
        assert model.output_names == ["embedding", "logits"] and model.name == "trr_mlp"
        assert model.count_params() == 100 * 256 + 2 * 256 * 256 + 256 * 10 + 3 * 256 + 10

    def test_matches_loop_reference(self):
        model = build_trr_mlp(num_features=6, num_classes=3, hidden=4, depth=2)
        x = _features(4, 6)
        self.assertMatchesReference(
            list(model(x, training=False)), lambda v: list(forward_loops(model, v)), x, atol=1e-5
        )

    def test_classifier_view_shares_weights(self):
        model = build_trr_mlp(hidden=8)
        classifier = keras.Model(model.input, model.outputs[1])
        x = _features()
        self.assertAllClose(classifier(x), model(x)[1], atol=1e-6)
        assert {w.path for w in classifier.weights} == {w.path for w in model.weights}
        assert [layer.name for layer in classifier.layers if layer.name == "embedding"] == []

    def test_round_trip_and_registered_builder(self):
        kwargs = {"num_features": 100, "num_classes": 10, "hidden": 16, "keep_rate": 0.6}
        model = get_builder("trr_mlp")(**kwargs)
        assert model.output_shape == [(None, 16), (None, 10)]
        restored = self.run_model_saving_test(model, _features(), atol=1e-6)
        assert restored.output_names == ["embedding", "logits"]

    @pytest.mark.parametrize(
        "kwargs, error, match",
        [
            ({"hidden": 0}, ValueError, "`hidden` must be an int >= 1"),
            ({"depth": 1.5}, ValueError, "`depth`"),
            ({"num_features": True}, ValueError, "`num_features`"),
            ({"num_classes": 1}, ValueError, "`num_classes` must be an int >= 2"),
            ({"keep_rate": 0.0}, ValueError, r"`keep_rate` must be in \(0, 1\]"),
            ({"keep_rate": 1.5}, ValueError, "`keep_rate`"),
            ({"keep_rate": "0.6"}, TypeError, "`keep_rate` must be a number"),
        ],
    )
    def test_bad_arguments(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            build_trr_mlp(**kwargs)
