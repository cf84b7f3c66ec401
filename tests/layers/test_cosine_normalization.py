"""CosineNormalization against a loop reference; layer checks; zero inputs."""

import math

import keras
import numpy as np
import pytest

from kzoo.layers import CosineNormalization
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


def _ref(x, w, centered=False):
    out = np.zeros((x.shape[0], w.shape[1]))
    for i in range(x.shape[0]):
        xi = x[i] - (np.mean(x[i]) if centered else 0.0)
        for j in range(w.shape[1]):
            wj = w[:, j] - (np.mean(w[:, j]) if centered else 0.0)
            dot = sum(a * b for a, b in zip(xi, wj, strict=True))
            nx = math.sqrt(sum(a * a for a in xi))
            nw = math.sqrt(sum(b * b for b in wj))
            out[i, j] = dot / (max(nx, 1e-12) * max(nw, 1e-12))
    return out


class TestCosineNormalization(TestCase):
    @pytest.mark.parametrize("centered", [False, True])
    def test_reference(self, centered):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(5, 4)).astype("float32")
        layer = CosineNormalization(3, centered=centered)
        out = layer(x)
        w = keras.ops.convert_to_numpy(layer.kernel)
        self.assertMatchesReference(out, lambda x, w: _ref(x, w, centered), x, w, atol=1e-5)

    def test_layer(self):
        x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
        self.run_layer_test(
            CosineNormalization,
            {"units": 3, "activation": "relu"},
            x,
            expected_output_shape=(4, 3),
            expected_num_trainable_weights=1,
        )
        self.run_layer_test(CosineNormalization, {"units": 2}, x[:, None, :], (4, 1, 2))

    @pytest.mark.parametrize("dtype", [None, "float16", "bfloat16"])
    def test_zero_inputs_and_parallel_weights(self, dtype):
        layer = CosineNormalization(2, dtype=dtype) if dtype else CosineNormalization(2)
        layer.build((None, 2))
        layer.kernel.assign(np.array([[1.0, 0.0], [0.0, 1.0]], dtype=layer.kernel.dtype))
        x = np.array([[0.0, 0.0], [2.0, 0.0], [-1.0, 0.0]], dtype=dtype or "float32")
        out = keras.ops.convert_to_numpy(layer(x)).astype("float32")
        self.assertAllClose(out, [[0, 0], [1, 0], [-1, 0]], atol=1e-3)
        self.assertFiniteGradients(lambda v: layer(v), x)

    def test_errors(self):
        with pytest.raises(ValueError, match="`units` must be an int >= 1"):
            CosineNormalization(0)
        with pytest.raises(TypeError, match="`centered` must be a bool"):
            CosineNormalization(2, centered="yes")
        with pytest.raises(ValueError, match="`inputs` must have a known last dimension"):
            CosineNormalization(2).build((None,))
