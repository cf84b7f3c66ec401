"""cos(mθ), sin(mθ)/sin θ, k and ψ against loop references; finite gradients at ±1."""

import math

import keras
import numpy as np
import pytest

from kzoo import ops as kops
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend

COS = np.array([1.0, 0.999, 0.9, 0.5, 0.2, 0.0, -0.3, -0.7071, -0.95, -1.0], dtype="float32")


def _loop(fn, values):
    return np.array([fn(float(c)) for c in values])


class TestCosMTheta(TestCase):
    @pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
    def test_cos_m_theta(self, m):
        self.assertMatchesReference(
            kops.cos_m_theta(COS, m),
            lambda c: _loop(lambda v: math.cos(m * math.acos(v)), c),
            COS,
            atol=1e-5,
        )

    @pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
    def test_sin_m_theta_over_sin_theta(self, m):
        inner = COS[1:-1]

        def ref(c):
            return _loop(lambda v: math.sin(m * math.acos(v)) / math.sin(math.acos(v)), c)

        self.assertMatchesReference(
            kops.sin_m_theta_over_sin_theta(inner, m), ref, inner, atol=1e-4
        )

    @pytest.mark.parametrize("m", [1, 2, 3, 4])
    def test_index_and_psi(self, m):
        def k_ref(c):
            return _loop(lambda v: min(math.floor(math.acos(v) * m / math.pi), m - 1), c)

        def psi_ref(c):
            def one(v):
                theta = math.acos(v)
                k = min(math.floor(theta * m / math.pi), m - 1)
                return (-1) ** k * math.cos(m * theta) - 2 * k

            return _loop(one, c)

        grid = np.linspace(-1, 1, 201).astype("float32")
        boundaries = np.array([math.cos(j * math.pi / m) for j in range(1, m)], dtype="float32")
        off_boundary = grid[np.all(np.abs(grid[:, None] - boundaries[None, :]) > 1e-4, axis=1)]
        self.assertMatchesReference(kops.multiple_angle_index(off_boundary, m), k_ref, off_boundary)
        psi = keras.ops.convert_to_numpy(kops.lsoftmax_psi(grid, m))
        self.assertMatchesReference(psi, psi_ref, grid, atol=1e-4)
        assert np.all(np.diff(psi) >= -1e-5), "psi must increase with cos(theta)"
        assert np.all(psi <= grid + 1e-5), "psi(theta) <= cos(theta)"

    def test_psi_is_continuous_across_thresholds(self):
        for m in (2, 3, 4):
            for j in range(1, m):
                c = math.cos(j * math.pi / m)
                values = keras.ops.convert_to_numpy(
                    kops.lsoftmax_psi(np.array([c - 1e-4, c + 1e-4], "float32"), m)
                )
                assert abs(values[1] - values[0]) < 1e-2, (m, j, values)

    @pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
    def test_finite_gradients_at_edges(self, dtype):
        edges = np.array([-1.0, 0.0, 1.0], dtype=dtype)
        for m in (1, 2, 3, 4):
            self.assertFiniteGradients(lambda c, m=m: kops.lsoftmax_psi(c, m), edges)
            self.assertFiniteGradients(lambda c, m=m: kops.cos_m_theta(c, m), edges)

    def test_bad_margin(self):
        for bad in (0, 1.5, True, "2"):
            with pytest.raises(ValueError, match="`m` must be an int >= 1"):
                kops.cos_m_theta(COS, bad)
