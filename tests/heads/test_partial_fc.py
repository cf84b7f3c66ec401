"""Partial FC (`sample_rate`) on the margin heads."""

import keras
import numpy as np
import pytest

from kzoo import heads, losses
from kzoo.heads import margin_head
from kzoo.testing import TestCase
from kzoo.testing.test_case import gradients

pytestmark = pytest.mark.multi_backend

HEADS = [
    (heads.ArcFace, {"scale": 16.0, "margin": 0.5}),
    (heads.CosFace, {"scale": 16.0, "margin": 0.35}),
    (heads.SphereFace, {"margin": 4, "lambda_base": 0.0, "lambda_min": 0.0}),
    (heads.NormFace, {"scale": 8.0}),
    (heads.LSoftmax, {"margin": 2, "lambda_base": 0.0}),
    (heads.L2Softmax, {"alpha": 5.0}),
    (heads.CombinedMargin, {"scale": 16.0, "m1": 2, "m2": 0.3, "m3": 0.1}),
]
IDS = [cls.__name__ for cls, _ in HEADS]


def _data(n=12, d=5, c=30, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.integers(0, c, n).astype("int32")


def _pair(cls, kwargs, c, rate):
    full, sampled = cls(c, **kwargs), cls(c, sample_rate=rate, **kwargs)
    full.build((None, 5))
    sampled.build((None, 5))
    sampled.kernel.assign(full.kernel)
    return full, sampled


@pytest.mark.parametrize("cls,kwargs", HEADS, ids=IDS)
class TestPartialFC(TestCase):
    def test_rate_one_is_the_full_head(self, cls, kwargs):
        x, y = _data()
        full, sampled = _pair(cls, kwargs, 30, 1.0)
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(sampled([x, y])), keras.ops.convert_to_numpy(full([x, y]))
        )

    def test_sampling_every_class_gives_the_full_loss_and_gradients(self, cls, kwargs, monkeypatch):
        x, y = _data()
        full, sampled = _pair(cls, kwargs, 30, 0.5)
        monkeypatch.setattr(margin_head, "num_sampled_classes", lambda c, rate, shards: c)
        y_t = keras.ops.convert_to_tensor(y)
        ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
        pfc = losses.PartialFCLoss(reduction=None)
        expected = keras.ops.convert_to_numpy(ce(y, full([x, y])))
        self.assertAllClose(pfc(y, sampled([x, y])), expected, atol=1e-5)
        g_full = gradients(lambda e: ce(y_t, full([e, y_t])), x)[0]
        g_sampled = gradients(lambda e: pfc(y_t, sampled([e, y_t])), x)[0]
        self.assertAllClose(g_sampled, g_full, atol=1e-5)

    def test_sampled_logits_are_the_full_ones_on_the_kept_classes(self, cls, kwargs):
        x, y = _data()
        full, sampled = _pair(cls, kwargs, 30, 0.5)
        plain = keras.ops.convert_to_numpy(full(x))
        margined = keras.ops.convert_to_numpy(full([x, y]))
        out = keras.ops.convert_to_numpy(sampled([x, y]))
        assert out.shape == (12, 15)
        for i in range(len(y)):
            self.assertAllClose(out[i, 0], margined[i, y[i]], atol=1e-5)
            others = plain[i, np.arange(30) != y[i]]
            for value in out[i, 1:]:
                assert np.min(np.abs(others - value)) < 1e-4, (i, value)
        self.assertAllClose(sampled(x), plain, atol=1e-6)


class TestPartialFCTraining(TestCase):
    def test_fit_with_rate_0_1(self):
        keras.utils.set_random_seed(2)
        rng = np.random.default_rng(2)
        centers = rng.normal(size=(200, 16)) * 3
        y = rng.integers(0, 200, size=640).astype("int32")
        x = (centers[y] + rng.normal(size=(640, 16))).astype("float32")
        inputs, labels = keras.Input((16,)), keras.Input((), dtype="int32")
        head = heads.ArcFace(200, scale=16.0, margin=0.2, sample_rate=0.1)
        embeddings = keras.layers.Dense(16)(inputs)
        model = keras.Model([inputs, labels], head([embeddings, labels]))
        assert model.output.shape == (None, 20)
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss=losses.PartialFCLoss())
        history = model.fit([x, y], y, batch_size=16, epochs=4, verbose=0).history["loss"]
        assert np.all(np.isfinite(history)) and history[-1] < 0.7 * history[0], history
        inference = keras.Model(inputs, head(embeddings))
        accuracy = np.mean(np.argmax(inference.predict(x, verbose=0), axis=1) == y)
        assert accuracy > 0.5, accuracy
        restored = self.run_model_saving_test(inference, x, atol=1e-5)
        assert restored.layers[-1].sample_rate == 0.1

    def test_config_round_trip(self):
        head = heads.CosFace(50, sample_rate=0.3)
        assert head.sample_rate == 0.3
        assert self.run_serialization_test(head).sample_rate == 0.3
        self.run_serialization_test(losses.PartialFCLoss())

    def test_more_classes_than_kept_give_nan_rows(self):
        head = heads.NormFace(30, sample_rate=0.1)
        x, y = _data(n=6)
        y = np.array([0, 1, 2, 3, 4, 4], "int32")
        out = keras.ops.convert_to_numpy(head([x, y]))
        assert out.shape == (6, 3)
        assert np.sum(np.all(np.isnan(out), axis=1)) >= 2

    @pytest.mark.parametrize("rate", [0.0, 1.5, -0.1, True, "0.5"])
    def test_bad_sample_rate(self, rate):
        with pytest.raises((ValueError, TypeError), match="`sample_rate` must be"):
            heads.ArcFace(10, sample_rate=rate)
