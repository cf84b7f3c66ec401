"""`NCEMemoryBank(share_negatives=True)`: one set of noise rows per step for the whole batch."""

import math

import numpy as np
import pytest

from kzoo.layers import NCEMemoryBank
from kzoo.losses import NCELoss
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy
from tests.layers.test_nce_memory_bank import _identify_noise, _layer, _unit

pytestmark = pytest.mark.multi_backend

N, D, B, M, TAU = 12, 5, 4, 6, 0.2


class TestSharedNegatives(TestCase):
    def test_outputs_and_z_estimate_match_reference(self):
        rng = np.random.default_rng(0)
        layer, bank = _layer(rng, share_negatives=True, num_negatives=M)
        bank = bank.astype("float64")
        f, ids = _unit(rng, B, D).astype("float64"), np.array([4, 0, 11, 7], "int32")
        out = to_numpy(layer([f.astype("float32"), ids], training=True))
        assert out.shape == (B, 1 + M)
        idx = _identify_noise(out, bank, f, ids, TAU)
        np.testing.assert_array_equal(idx[:, 0], ids)
        for b in range(1, B):
            np.testing.assert_array_equal(idx[b, 1:], idx[0, 1:])
        total = 0.0
        for b in range(B):
            for k in range(1 + M):
                total += math.exp(np.dot(bank[idx[b, k]], f[b]) / TAU)
        log_z = math.log(N * total / (B * (1 + M)))
        self.assertAllClose(layer.normalizer, math.exp(log_z), rtol=1e-4)
        for b in range(B):
            for k in range(1 + M):
                expected = np.dot(bank[idx[b, k]], f[b]) / TAU - log_z
                self.assertAllClose(out[b, k], expected, atol=1e-4, rtol=1e-4)

    def test_per_sample_default_draws_rows_per_instance(self):
        rng = np.random.default_rng(1)
        layer, bank = _layer(rng, num_negatives=M)
        assert layer.share_negatives is False
        f, ids = _unit(rng, B, D).astype("float64"), np.array([1, 2, 3, 5], "int32")
        out = to_numpy(layer([f.astype("float32"), ids], training=True))
        idx = _identify_noise(out, bank.astype("float64"), f, ids, TAU)
        assert any(not np.array_equal(idx[b, 1:], idx[0, 1:]) for b in range(1, B))

    def test_bank_update_and_gradients(self):
        rng = np.random.default_rng(2)
        layer, bank = _layer(rng, share_negatives=True, num_negatives=M, momentum=0.5)
        f, ids = _unit(rng, B, D), np.array([3, 8, 1, 0], "int32")
        self.assertFiniteGradients(lambda e: NCELoss(N)(ids, layer([e, ids])), f)
        layer([f, ids], training=True)
        updated = 0.5 * bank[ids] + 0.5 * f
        updated /= np.linalg.norm(updated, axis=-1, keepdims=True)
        self.assertAllClose(to_numpy(layer.bank)[ids], updated, atol=1e-5)

    def test_config_round_trip(self):
        layer = NCEMemoryBank(100, num_negatives=9, share_negatives=True, seed=3)
        assert self.run_serialization_test(layer).share_negatives is True

    def test_bad_argument(self):
        with pytest.raises(TypeError, match="share_negatives"):
            NCEMemoryBank(10, share_negatives=1)
