import math

import keras
import numpy as np
import pytest

from kzoo.losses import NCELoss
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


def _ids(x):
    return np.zeros((x.shape[0],), "int32")


def reference_nce_loss(log_p, n, eps=1e-7):
    """The lemniscate NCECriterion in probability space, with explicit loops."""
    batch, width = log_p.shape
    m = width - 1
    pn = 1.0 / n
    total = 0.0
    for b in range(batch):
        p_pos = math.exp(log_p[b, 0])
        total += math.log(p_pos / (p_pos + m * pn + eps))
        for k in range(1, width):
            p = math.exp(log_p[b, k])
            total += math.log(m * pn / (p + m * pn + eps))
    return -total / batch


class TestNCELoss(TestCase):
    @pytest.mark.parametrize("n, m", [(10, 3), (1000, 16), (50, 200)])
    def test_matches_reference(self, n, m):
        rng = np.random.default_rng(n + m)
        log_p = rng.normal(-math.log(n), 3.0, size=(4, 1 + m)).astype("float32")
        loss = NCELoss(num_instances=n)(np.zeros(4, "int32"), log_p)
        self.assertMatchesReference(
            loss, lambda x: reference_nce_loss(x, n), log_p, rtol=1e-5, atol=1e-5
        )

    def test_epsilon_is_used(self):
        log_p = np.full((2, 3), -30.0, "float32")
        with_eps = NCELoss(10, epsilon=0.5)(_ids(log_p), log_p)
        self.assertMatchesReference(
            with_eps, lambda x: reference_nce_loss(x, 10, eps=0.5), log_p, rtol=1e-5
        )

    def test_no_reduction_gives_per_instance_losses(self):
        rng = np.random.default_rng(1)
        log_p = rng.normal(size=(3, 5)).astype("float32")
        per_instance = NCELoss(20, reduction=None)(_ids(log_p), log_p)
        expected = [reference_nce_loss(log_p[b : b + 1].astype("float64"), 20) for b in range(3)]
        self.assertAllClose(per_instance, expected, rtol=1e-5, atol=1e-5)

    def test_large_scores_do_not_overflow(self):
        log_p = np.array([[200.0, -200.0, 150.0], [-200.0, 0.0, 0.0]], "float32")
        self.assertAllFinite(NCELoss(100)(_ids(log_p), log_p))

    @pytest.mark.parametrize("value", [0.0, 80.0, -80.0])
    def test_finite_gradients_at_edges(self, value):
        log_p = np.full((2, 4), value, "float32")
        loss = NCELoss(100)
        grads = self.assertFiniteGradients(lambda x: loss(_ids(x), x), log_p)
        assert np.all(grads[0][:, 0] <= 0) and np.all(grads[0][:, 1:] >= 0)

    @pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
    def test_low_precision_inputs(self, dtype):
        rng = np.random.default_rng(2)
        log_p = rng.normal(-2.0, 2.0, size=(4, 9)).astype("float32")
        low = keras.ops.cast(log_p, dtype)
        loss = NCELoss(30)
        self.assertAllFinite(self.assertFiniteGradients(lambda x: loss(_ids(x), x), low))
        expected = reference_nce_loss(
            keras.ops.convert_to_numpy(keras.ops.cast(low, "float32")).astype("float64"), 30
        )
        self.assertAllClose(loss(_ids(low), low), expected, rtol=1e-4, atol=1e-4)

    def test_serialization(self):
        revived = self.run_serialization_test(NCELoss(123, epsilon=1e-5, name="nce"))
        assert revived.num_instances == 123 and revived.epsilon == 1e-5

    def test_bad_input(self):
        with pytest.raises(ValueError, match="num_instances"):
            NCELoss(1)
        with pytest.raises(ValueError, match="epsilon"):
            NCELoss(10, epsilon=-1.0)
        with pytest.raises(ValueError, match="y_pred"):
            NCELoss(10)(np.zeros(3), np.zeros((3, 1), "float32"))
        with pytest.raises(ValueError, match="y_pred"):
            NCELoss(10)(np.zeros(3), np.zeros((3,), "float32"))
