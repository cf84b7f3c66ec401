"""PartialFCLoss against an explicit NumPy reference."""

import math

import keras
import numpy as np
import pytest

from kzoo.losses import PartialFCLoss
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


def _reference(logits):
    total = 0.0
    for row in logits:
        top = max(row)
        total += top + math.log(sum(math.exp(v - top) for v in row)) - row[0]
    return total / len(logits)


class TestPartialFCLoss(TestCase):
    def test_matches_reference_and_ignores_y_true(self):
        logits = np.random.default_rng(0).normal(size=(5, 7)).astype("float32") * 10
        loss = PartialFCLoss()
        self.assertAllClose(loss(np.arange(5), logits), _reference(logits), rtol=1e-5)
        self.assertAllClose(loss(np.zeros(5), logits), _reference(logits), rtol=1e-5)

    def test_gradient_is_softmax_minus_first_column(self):
        logits = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
        (grad,) = self.assertFiniteGradients(lambda z: PartialFCLoss()(np.zeros(3), z), logits)
        softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        softmax[:, 0] -= 1.0
        self.assertAllClose(grad, softmax / 3, atol=1e-6)

    def test_nan_in_gives_nan_loss(self):
        logits = np.ones((2, 3), "float32")
        logits[1, 2] = np.nan
        assert np.isnan(keras.ops.convert_to_numpy(PartialFCLoss()(np.zeros(2), logits)))

    def test_serialization(self):
        self.run_serialization_test(PartialFCLoss(reduction="sum"))
