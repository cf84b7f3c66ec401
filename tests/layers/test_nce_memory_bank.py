import math

import keras
import numpy as np
import pytest

from kzoo.layers import NCEMemoryBank
from kzoo.losses import NCELoss
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy

pytestmark = pytest.mark.multi_backend

N, D, B, M, TAU = 12, 5, 3, 7, 0.2


def _unit(rng, *shape):
    x = rng.normal(size=shape)
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype("float32")


def _layer(rng, **kwargs):
    kwargs.setdefault("num_negatives", M)
    kwargs.setdefault("temperature", TAU)
    layer = NCEMemoryBank(N, seed=0, **kwargs)
    bank = _unit(rng, N, D)
    layer.build([(None, D), (None,)])
    layer.bank.assign(bank)
    return layer, bank


def _identify_noise(out, bank, f, ids, tau):
    """Recovers the sampled rows from score differences (independent of Z)."""
    out = np.asarray(out, np.float64)
    idx = np.zeros(out.shape, dtype=int)
    for b in range(out.shape[0]):
        scores = np.array([np.dot(bank[j], f[b]) / tau for j in range(len(bank))])
        for k in range(out.shape[1]):
            target = out[b, k] - out[b, 0] + scores[ids[b]]
            residual = np.abs(scores - target)
            idx[b, k] = int(np.argmin(residual))
            assert residual[idx[b, k]] < 1e-4, residual
    return idx


def _reference_log_z(bank, f, idx, tau, n):
    total, count = 0.0, 0
    for b in range(idx.shape[0]):
        for k in range(idx.shape[1]):
            total += math.exp(np.dot(bank[idx[b, k]], f[b]) / tau)
            count += 1
    return math.log(n * total / count)


class TestNCEMemoryBank(TestCase):
    def test_nce_outputs_and_z_estimate_match_reference(self):
        rng = np.random.default_rng(0)
        layer, bank = _layer(rng)
        f, ids = _unit(rng, B, D).astype("float64"), np.array([4, 0, 11], "int32")
        out = to_numpy(layer([f.astype("float32"), ids], training=True))
        assert out.shape == (B, 1 + M)
        idx = _identify_noise(out, bank.astype("float64"), f, ids, TAU)
        np.testing.assert_array_equal(idx[:, 0], ids)
        log_z = _reference_log_z(bank.astype("float64"), f, idx, TAU, N)
        self.assertAllClose(layer.normalizer, math.exp(log_z), rtol=1e-4)
        for b in range(B):
            for k in range(1 + M):
                expected = np.dot(bank[idx[b, k]], f[b]) / TAU - log_z
                self.assertAllClose(out[b, k], expected, atol=1e-4, rtol=1e-4)

    def test_z_is_estimated_once_then_held_fixed(self):
        rng = np.random.default_rng(1)
        layer, _ = _layer(rng)
        assert layer.normalizer == 0.0
        ids = np.array([1, 2, 3], "int32")
        layer([_unit(rng, B, D), ids], training=False)
        assert layer.normalizer == 0.0, "inference must not set Z"
        layer([_unit(rng, B, D), ids], training=True)
        first = layer.normalizer
        assert first > 0
        for _ in range(3):
            layer([_unit(rng, B, D) * 0.0 + _unit(rng, 1, D), ids], training=True)
        assert layer.normalizer == first
        assert int(to_numpy(layer.step)) == 4

    def test_fixed_z(self):
        rng = np.random.default_rng(2)
        layer, bank = _layer(rng, z=5.0)
        f, ids = _unit(rng, B, D), np.array([0, 1, 2], "int32")
        out = to_numpy(layer([f, ids], training=True))
        self.assertAllClose(layer.normalizer, 5.0, rtol=1e-6)
        for b in range(B):
            self.assertAllClose(
                out[b, 0], np.dot(bank[ids[b]], f[b]) / TAU - math.log(5.0), atol=1e-5
            )

    def test_bank_update_matches_reference(self):
        rng = np.random.default_rng(3)
        layer, bank = _layer(rng, momentum=0.3)
        f, ids = _unit(rng, B, D), np.array([7, 2, 9], "int32")
        layer([f, ids], training=True)
        expected = bank.astype("float64").copy()
        for b in range(B):
            v = 0.3 * bank[ids[b]] + 0.7 * f[b]
            expected[ids[b]] = v / np.sqrt(sum(c * c for c in v))
        self.assertAllClose(layer.bank, expected, atol=1e-6)
        self.assertAllClose(np.linalg.norm(to_numpy(layer.bank), axis=1), np.ones(N), atol=1e-6)

    def test_no_update_outside_training(self):
        rng = np.random.default_rng(4)
        layer, bank = _layer(rng)
        layer([_unit(rng, B, D), np.array([0, 1, 2], "int32")], training=False)
        self.assertAllClose(layer.bank, bank)
        assert int(to_numpy(layer.step)) == 0

    def test_initial_bank_rows_are_unit_vectors(self):
        layer = NCEMemoryBank(50, num_negatives=3, seed=1)
        layer.build([(None, 16), (None,)])
        self.assertAllClose(np.linalg.norm(to_numpy(layer.bank), axis=1), np.ones(50), atol=1e-5)

    def test_noise_is_uniform(self):
        rng = np.random.default_rng(5)
        n, m = 8, 4000
        layer = NCEMemoryBank(n, num_negatives=m, temperature=1.0, seed=3)
        layer.build([(None, n), (None,)])
        bank = np.eye(n, dtype="float32")
        layer.bank.assign(bank)
        f = _unit(rng, 2, n)
        out = to_numpy(layer([f, np.array([0, 1], "int32")]))
        idx = _identify_noise(out, bank.astype("float64"), f.astype("float64"), [0, 1], 1.0)[:, 1:]
        counts = np.bincount(idx.reshape(-1), minlength=n)
        expected = 2 * m / n
        assert np.all(np.abs(counts - expected) < 6 * math.sqrt(expected)), counts

    def test_softmax_mode_matches_reference(self):
        rng = np.random.default_rng(6)
        layer, bank = _layer(rng, mode="softmax")
        f, ids = _unit(rng, B, D), np.array([3, 5, 8], "int32")
        logits = to_numpy(layer([f, ids], training=True))
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(ids, logits)
        total = 0.0
        for b in range(B):
            row = [np.dot(bank[j], f[b]) / TAU for j in range(N)]
            self.assertAllClose(logits[b], row, atol=1e-5)
            total += -(row[ids[b]] - math.log(sum(math.exp(r) for r in row)))
        self.assertAllClose(loss, total / B, atol=1e-5)

    def test_proximal_loss(self):
        rng = np.random.default_rng(7)
        layer, bank = _layer(rng, proximal_weight=10.0)
        f, ids = _unit(rng, B, D), np.array([1, 6, 10], "int32")
        layer([f, ids], training=True)
        expected = 10.0 * np.mean(
            [sum((f[b, c] - bank[ids[b], c]) ** 2 for c in range(D)) for b in range(B)]
        )
        assert len(layer.losses) == 1
        self.assertAllClose(layer.losses[0], expected, atol=1e-5)

    @pytest.mark.parametrize("mode", ["nce", "softmax"])
    def test_finite_gradients_at_edges(self, mode):
        rng = np.random.default_rng(8)
        layer, bank = _layer(rng, mode=mode)
        ids = np.array([0, 1, 2], "int32")
        f = np.stack([bank[0], -bank[1], np.zeros(D, "float32")])
        loss = (
            NCELoss(N)
            if mode == "nce"
            else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        self.assertFiniteGradients(lambda x: loss(ids, layer([x, ids])), f)

    @pytest.mark.parametrize("mode", ["nce", "softmax"])
    def test_layer_checks_and_precisions(self, mode):
        rng = np.random.default_rng(9)
        inputs = [_unit(rng, B, D), np.array([0, 4, 9], "int32")]
        self.run_layer_test(
            NCEMemoryBank,
            {"num_instances": N, "num_negatives": M, "mode": mode, "seed": 1},
            inputs,
            expected_output_shape=(B, 1 + M if mode == "nce" else N),
            expected_num_trainable_weights=0,
            run_saving_check=mode == "softmax",
        )

    def test_serialization(self):
        layer = NCEMemoryBank(
            100, num_negatives=9, temperature=0.1, momentum=0.2, z=3.0, proximal_weight=1.5, seed=4
        )
        revived = self.run_serialization_test(layer)
        for name in (
            "num_instances",
            "num_negatives",
            "temperature",
            "momentum",
            "mode",
            "z",
            "proximal_weight",
            "seed",
        ):
            assert getattr(revived, name) == getattr(layer, name)

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"num_instances": 1}, "num_instances"),
            ({"num_instances": 10.0}, "num_instances"),
            ({"num_instances": 10, "num_negatives": 0}, "num_negatives"),
            ({"num_instances": 10, "temperature": 0.0}, "temperature"),
            ({"num_instances": 10, "momentum": 1.0}, "momentum"),
            ({"num_instances": 10, "mode": "full"}, "mode"),
            ({"num_instances": 10, "z": -1.0}, "`z`"),
            ({"num_instances": 10, "proximal_weight": -1.0}, "proximal_weight"),
        ],
    )
    def test_bad_arguments(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            NCEMemoryBank(**kwargs)

    def test_bad_inputs(self):
        layer = NCEMemoryBank(10, num_negatives=2)
        with pytest.raises(ValueError, match="embeddings"):
            layer([np.zeros((2, 3, 4), "float32"), np.zeros((2,), "int32")])
        with pytest.raises(ValueError, match=r"\[embeddings, ids\]"):
            NCEMemoryBank(10).build((None, 4))
