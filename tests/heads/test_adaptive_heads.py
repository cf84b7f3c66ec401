"""AdaFace, MagFace and CurricularFace: paper references, running statistics, export."""

import keras
import numpy as np
import pytest
from adaptive_references import adaface, cosines, curricularface, magface

from kzoo import heads
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend

N, D, C = 10, 6, 5
HEADS = {
    "adaface": (heads.AdaFace, {"num_classes": C, "scale": 16.0}),
    "magface": (heads.MagFace, {"num_classes": C, "scale": 16.0}),
    "curricularface": (heads.CurricularFace, {"num_classes": C, "scale": 16.0}),
}
CE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _data(seed=0, n=N, norm_range=(5.0, 60.0)):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, D))
    x = x / np.linalg.norm(x, axis=1, keepdims=True) * rng.uniform(*norm_range, size=(n, 1))
    return x.astype("float32"), rng.integers(0, C, size=n).astype("int32")


def _head(name, seed=0, **overrides):
    cls, kwargs = HEADS[name]
    head = cls(**{**kwargs, **overrides})
    head.build((None, D))
    w = np.random.default_rng(50 + seed).normal(size=(D, C)).astype("float32")
    head.kernel.assign(w)
    return head, w.astype(np.float64)


def _num(x):
    return np.asarray(keras.ops.convert_to_numpy(x), np.float64)


class TestReferences(TestCase):
    @pytest.mark.parametrize("margin,h", [(0.4, 0.333), (0.2, 1.0)])
    def test_adaface_over_three_steps(self, margin, h):
        head, w = _head("adaface", margin=margin, h=h)
        mean, std = 20.0, 100.0
        for step in range(3):
            x, y = _data(step, norm_range=(5.0 + 10 * step, 40.0 + 10 * step))
            expected, mean, std = adaface(x, w, y, mean, std, margin, h, 16.0)
            self.assertAllClose(head([x, y], training=True), expected, atol=2e-4, rtol=1e-5)
            assert abs(float(_num(head.batch_mean)) - mean) < 1e-4
            assert abs(float(_num(head.batch_std)) - std) < 1e-4
        x, _ = _data(7)
        self.assertAllClose(head(x), 16.0 * cosines(x, w), atol=1e-4, rtol=1e-5)

    def test_adaface_statistics_frozen_when_not_training(self):
        head, _ = _head("adaface")
        x, y = _data()
        head([x, y], training=False)
        head([x, y])
        assert float(_num(head.batch_mean)) == 20.0 and float(_num(head.batch_std)) == 100.0

    @pytest.mark.parametrize("seed", [0, 1])
    def test_magface(self, seed):
        head, w = _head("magface", seed)
        x, y = _data(seed, norm_range=(2.0, 150.0))
        expected, reg = magface(x, w, y, scale=16.0)
        self.assertAllClose(head([x, y]), expected, atol=2e-4, rtol=1e-5)
        self.assertAllClose(head.magnitude_regularizer(x), reg, atol=1e-5, rtol=1e-5)
        assert len(head.losses) == 1
        self.assertAllClose(head.losses[0], reg, atol=1e-5, rtol=1e-5)
        self.assertAllClose(head(x), 16.0 * cosines(x, w), atol=1e-4, rtol=1e-5)

    def test_curricularface_over_three_steps(self):
        head, w = _head("curricularface")
        t = 0.0
        for step in range(3):
            x, y = _data(step)
            expected, t = curricularface(x, w, y, t, scale=16.0)
            self.assertAllClose(head([x, y], training=True), expected, atol=2e-4, rtol=1e-5)
            assert abs(float(_num(head.t)) - t) < 1e-6
        head.t.assign(0.9)
        x, y = _data(5)
        expected, _ = curricularface(x, w, y, 0.9, scale=16.0, alpha=0.0)
        self.assertAllClose(head([x, y]), expected, atol=2e-4, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(HEADS))
class TestLayer(TestCase):
    def test_layer_and_saving_keep_statistics(self, name):
        cls, kwargs = HEADS[name]
        x, y = _data()
        self.run_layer_test(cls, kwargs, [x, y], expected_output_shape=(N, C))
        emb, lab = keras.Input((D,)), keras.Input((), dtype="int32")
        model = keras.Model([emb, lab], cls(**kwargs)([emb, lab]))
        model([x, y], training=True)
        state = [_num(v) for v in model.layers[-1].non_trainable_weights]
        restored = self.run_model_saving_test(model, [x, y], atol=1e-5)
        for before, after in zip(state, restored.layers[-1].non_trainable_weights, strict=True):
            self.assertAllClose(after, before)

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_nan_or_inf_in_gives_non_finite_loss(self, name, bad):
        head, _ = _head(name)
        x, y = _data()
        x[3, 2] = bad
        assert not np.isfinite(float(_num(CE(y, head([x, y], training=True)))))

    def test_finite_gradients_at_edges(self, name):
        head, w = _head(name)
        x, y = _data()
        x[0] = 0.0
        x[1] = w[:, y[1]] * 20.0
        x[2] = -w[:, y[2]] * 20.0

        def loss(e):
            return CE(y, head([e, y], training=False))

        self.assertFiniteGradients(loss, x)

    def test_fit_decreases_loss(self, name):
        keras.utils.set_random_seed(0)
        x, y = _data(n=64)
        x = x + 20.0 * np.eye(C, D)[y].astype("float32")
        emb, lab = keras.Input((D,)), keras.Input((), dtype="int32")
        cls, kwargs = HEADS[name]
        model = keras.Model([emb, lab], cls(**kwargs)([keras.layers.Dense(D)(emb), lab]))
        model.compile(keras.optimizers.Adam(0.01), loss=CE)
        history = model.fit([x, y], y, epochs=6, batch_size=16, verbose=0).history["loss"]
        assert np.all(np.isfinite(history)) and history[-1] < history[0]


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="export runs under TF")
@pytest.mark.parametrize("name", sorted(HEADS))
def test_tflite_export_with_and_without_labels(name, tmp_path):
    pytest.importorskip("ai_edge_litert")
    from kzoo.export import to_tflite
    from kzoo.export.verify import run_tflite

    cls, kwargs = HEADS[name]
    emb, lab = (
        keras.Input((D,), name="a_embeddings"),
        keras.Input((), dtype="int32", name="b_labels"),
    )
    head = cls(**kwargs)
    features = keras.layers.Dense(D)(emb)
    inference = keras.Model(emb, head(features))
    training = keras.Model([emb, lab], head([features, lab]))
    x, y = _data()
    to_tflite(inference, tmp_path / "inference.tflite")
    to_tflite(training, tmp_path / "training.tflite")
    (got,) = run_tflite(tmp_path / "training.tflite", [x, y]).values()
    np.testing.assert_allclose(got, _num(training([x, y], training=False)), atol=1e-3, rtol=1e-4)
    (got,) = run_tflite(tmp_path / "inference.tflite", x).values()
    np.testing.assert_allclose(got, _num(inference(x)), atol=1e-3, rtol=1e-4)
