"""acos-free cos(θ + m) and cos(m1·θ + m2) against acos references; finite gradients at ±1."""

import math

import numpy as np
import pytest

from kzoo import ops as kops
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend

COS = np.linspace(-0.999, 0.999, 41).astype("float32")


class TestAngularMargin(TestCase):
    def test_sin_from_cos(self):
        ref = lambda c: np.array([math.sin(math.acos(v)) for v in c])  # noqa: E731
        self.assertMatchesReference(kops.sin_from_cos(COS), ref, COS, atol=1e-5)

    @pytest.mark.parametrize("margin", [0.0, 0.35, 0.5, 1.0])
    def test_cos_theta_plus_margin(self, margin):
        ref = lambda c: np.array([math.cos(math.acos(v) + margin) for v in c])  # noqa: E731
        self.assertMatchesReference(kops.cos_theta_plus_margin(COS, margin), ref, COS, atol=1e-5)

    @pytest.mark.parametrize("m1,m2", [(1, 0.5), (2, 0.3), (3, 0.0), (4, 0.2)])
    def test_cos_multiplicative_additive(self, m1, m2):
        ref = lambda c: np.array([math.cos(m1 * math.acos(v) + m2) for v in c])  # noqa: E731
        out = kops.cos_multiplicative_additive(COS, m1, m2)
        self.assertMatchesReference(out, ref, COS, atol=1e-4)

    @pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
    def test_finite_gradients_at_edges(self, dtype):
        edges = np.array([-1.0, -0.99999, 0.0, 0.99999, 1.0], dtype=dtype)
        self.assertFiniteGradients(lambda c: kops.sin_from_cos(c), edges)
        self.assertFiniteGradients(lambda c: kops.cos_theta_plus_margin(c, 0.5), edges)
        self.assertFiniteGradients(lambda c: kops.cos_multiplicative_additive(c, 3, 0.2), edges)
