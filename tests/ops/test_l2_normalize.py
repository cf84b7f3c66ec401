"""l2_normalize / safe_norm: values, zero vectors, half precision."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from kzoo import ops as kops
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend

X = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0], [1e-3, -2e-3, 5.0], [-1.0, 1.0, 1.0]], "float32")


def _ref_normalize(x):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        n = math.sqrt(sum(v * v for v in x[i]))
        for j in range(x.shape[1]):
            out[i, j] = x[i, j] / max(n, 1e-12)
    return out


class TestL2Normalize(TestCase):
    def test_values(self):
        self.assertMatchesReference(kops.l2_normalize(X), _ref_normalize, X)
        self.assertMatchesReference(
            kops.l2_normalize(X.T, axis=0), lambda x: _ref_normalize(x.T).T, X.T
        )
        norms = keras.ops.convert_to_numpy(kops.safe_norm(X, axis=-1))
        self.assertAllClose(norms, [5.0, 1e-12, np.linalg.norm(X[2]), math.sqrt(3)], rtol=1e-6)

    @pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
    def test_zero_vectors_have_finite_gradients(self, dtype):
        x = X.astype(dtype)
        out = kops.l2_normalize(x)
        assert keras.backend.standardize_dtype(out.dtype) == dtype
        self.assertAllFinite(out)
        grads = self.assertFiniteGradients(
            lambda v: kops.l2_normalize(v) * ops.cast(np.arange(3.0), v.dtype), x
        )
        self.assertAllClose(grads[0][1].astype("float32"), np.zeros(3))
        self.assertFiniteGradients(lambda v: kops.safe_norm(v), x)

    def test_unit_norm_rows(self):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(5, 7)).astype("float32")
        out = keras.ops.convert_to_numpy(kops.l2_normalize(x))
        self.assertAllClose(np.linalg.norm(out, axis=1), np.ones(5), atol=1e-6)
