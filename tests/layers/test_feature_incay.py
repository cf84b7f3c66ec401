"""FeatureIncay: penalty against a loop reference, add_loss in model.fit, gradients."""

import math

import keras
import numpy as np
import pytest

from kzoo import heads
from kzoo.layers import FeatureIncay
from kzoo.testing import TestCase
from kzoo.testing.test_case import gradients

pytestmark = pytest.mark.multi_backend

FEATURES = np.array([[1.0, 2.0], [0.5, 0.0], [0.0, 0.0], [3.0, -1.0]], "float32")
LOGITS = np.array([[2.0, 1.0, 0.0], [0.0, 0.1, 0.0], [1.0, 1.0, 3.0], [0.0, 5.0, 4.0]], "float32")
LABELS = np.array([0, 0, 2, 2], "int32")


def _ref(features, logits, labels, weight, mode, temperature, eps=1e-6):
    total = 0.0
    for i in range(features.shape[0]):
        y = int(labels[i])
        other = max(logits[i, j] for j in range(logits.shape[1]) if j != y)
        margin = logits[i, y] - other
        h = float(margin > 0) if mode == "hard" else 1.0 / (1.0 + math.exp(-margin / temperature))
        total += h / (sum(v * v for v in features[i]) + eps)
    return weight * total / features.shape[0]


class TestFeatureIncay(TestCase):
    @pytest.mark.parametrize("mode,temperature", [("hard", 1.0), ("smooth", 1.0), ("smooth", 0.3)])
    def test_penalty_reference(self, mode, temperature):
        layer = FeatureIncay(0.5, mode=mode, temperature=temperature)
        value = layer.penalty(FEATURES, LOGITS, LABELS)
        ref = lambda f, z, y: _ref(f, z, y, 0.5, mode, temperature)  # noqa: E731
        self.assertMatchesReference(value, ref, FEATURES, LOGITS, LABELS, rtol=1e-5)

    def test_passes_logits_through_and_adds_loss(self):
        layer = FeatureIncay(0.5)
        out = layer([FEATURES, LOGITS, LABELS])
        self.assertAllClose(out, LOGITS)
        assert len(layer.losses) == 1
        self.assertAllClose(layer.losses[0], _ref(FEATURES, LOGITS, LABELS, 0.5, "hard", 1.0))
        silent = FeatureIncay(0.0)
        silent([FEATURES, LOGITS, LABELS])
        assert not silent.losses

    @pytest.mark.parametrize("mode", ["hard", "smooth"])
    def test_gradients_finite_and_no_gradient_through_indicator(self, mode):
        layer = FeatureIncay(1.0, mode=mode)
        grad_f, grad_z = gradients(lambda f, z: layer.penalty(f, z, LABELS), FEATURES, LOGITS)
        self.assertAllFinite([grad_f, grad_z])
        self.assertAllClose(grad_z, np.zeros_like(LOGITS))
        assert grad_f[0, 0] < 0, "the penalty must push the norm of a correct sample up"
        grads16 = gradients(lambda f: layer.penalty(f, LOGITS, LABELS), FEATURES.astype("float16"))
        self.assertAllFinite(grads16)

    def _fit(self, weight, epochs=3, optimizer="adam"):
        keras.utils.set_random_seed(0)
        rng = np.random.default_rng(0)
        y = rng.integers(0, 3, size=64).astype("int32")
        x = (rng.normal(size=(3, 6))[y] * 2 + rng.normal(size=(64, 6))).astype("float32")
        inputs, labels = keras.Input((6,)), keras.Input((), dtype="int32")
        features = keras.layers.Dense(2)(inputs)
        logits = heads.NormFace(3, scale=8.0)([features, labels])
        incay = FeatureIncay(weight, mode="smooth")
        model = keras.Model([inputs, labels], incay([features, logits, labels]))
        model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        history = model.fit([x, y], y, epochs=epochs, batch_size=16, verbose=0).history["loss"]
        assert np.all(np.isfinite(history))
        embed = keras.Model(inputs, features)
        return model, embed, incay, x, y

    def test_model_loss_includes_the_penalty(self):
        model, embed, incay, x, y = self._fit(0.5, epochs=1)
        feats = embed.predict(x, verbose=0)
        logits = model.predict([x, y], verbose=0)
        ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits)
        penalty = _ref(feats, logits, y, 0.5, "smooth", 1.0)
        total = model.evaluate([x, y], y, batch_size=64, verbose=0)
        self.assertAllClose(total, float(keras.ops.convert_to_numpy(ce)) + penalty, rtol=1e-4)
        self.run_model_saving_test(model, [x, y], atol=1e-5)

    def test_fit_grows_feature_norms(self):
        norms = {}
        for weight in (0.0, 1.0):
            _, embed, _, x, _ = self._fit(weight, epochs=10, optimizer=keras.optimizers.SGD(0.1))
            norms[weight] = float(np.mean(np.linalg.norm(embed.predict(x, verbose=0), axis=1)))
        assert norms[1.0] > norms[0.0] * 1.05, norms

    def test_serialization_and_errors(self):
        self.run_serialization_test(FeatureIncay(0.2, mode="smooth", temperature=2.0))
        with pytest.raises(ValueError, match=r"`mode` must be one of \('hard', 'smooth'\)"):
            FeatureIncay(mode="soft")
        with pytest.raises(ValueError, match="`weight` must be a finite number >= 0"):
            FeatureIncay(-1.0)
        with pytest.raises(ValueError, match="`temperature` must be a finite number > 0"):
            FeatureIncay(temperature=0.0)
        with pytest.raises(ValueError, match=r"takes `\[features, logits, labels\]`"):
            FeatureIncay()([FEATURES, LOGITS])
