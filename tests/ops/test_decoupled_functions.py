import math

import numpy as np
import pytest
from keras import ops

from kzoo.ops import (
    ANGULAR_FUNCTIONS,
    BOUNDED_MAGNITUDES,
    MAGNITUDE_FUNCTIONS,
    UNBOUNDED_MAGNITUDES,
    angle_from_cos,
    get_angular_function,
    get_magnitude_function,
)
from kzoo.testing import TestCase, to_numpy
from tests.layers import decoupled_reference as ref

pytestmark = pytest.mark.multi_backend

NORMS = np.array([0.0, 1e-3, 0.3, 0.99, 1.0, 1.7, 4.0, 50.0], "float32")
COSINES = np.array([-1.0, -0.999999, -0.7, -1e-3, 0.0, 0.25, 0.9, 0.9999, 1.0], "float32")


class TestDecoupledFunctions(TestCase):
    def test_registry_families(self):
        assert set(BOUNDED_MAGNITUDES) | set(UNBOUNDED_MAGNITUDES) == set(MAGNITUDE_FUNCTIONS)
        assert set(ANGULAR_FUNCTIONS) == {"linear", "cosine", "sigmoid", "square_cosine"}
        big = np.array([1e3, 1e5], "float32")
        for name in BOUNDED_MAGNITUDES:
            values = to_numpy(get_magnitude_function(name)(big, alpha=2.0, rho=1.5))
            assert np.all(values <= 2.0 + 1e-6), name
        for name in UNBOUNDED_MAGNITUDES:
            values = to_numpy(get_magnitude_function(name)(big, alpha=2.0, rho=1.5))
            assert values[1] > values[0] > 2.0, name

    @pytest.mark.parametrize("name", sorted(MAGNITUDE_FUNCTIONS))
    def test_magnitude_matches_reference(self, name):
        fn = get_magnitude_function(name)
        for alpha, rho, beta in [(1.0, 1.0, 0.5), (2.5, 0.7, 0.2)]:
            actual = fn(NORMS, alpha=alpha, rho=rho, beta=beta)
            expected = np.array([ref.magnitude(name, float(r), alpha, rho, beta) for r in NORMS])
            self.assertAllClose(
                ops.broadcast_to(actual, NORMS.shape), expected, atol=1e-5, rtol=1e-5
            )

    @pytest.mark.parametrize("name", sorted(ANGULAR_FUNCTIONS))
    def test_angular_matches_reference(self, name):
        fn = get_angular_function(name)
        for k in (0.3, 1.0):
            expected = np.array([ref.angular(name, float(c), k) for c in COSINES])
            # The floor on 1 - c² moves θ by < 1e-3 rad only where |c| > 1 - 5e-7.
            self.assertAllClose(fn(COSINES, k=k), expected, atol=2e-3, rtol=0)
            inner = np.abs(COSINES) < 0.9999
            self.assertAllClose(to_numpy(fn(COSINES, k=k))[inner], expected[inner], atol=1e-5)
        ends = to_numpy(fn(np.array([1.0, 0.0, -1.0], "float32")))
        self.assertAllClose(ends, [1.0, 0.0, -1.0], atol=2e-3)

    def test_angle_accuracy_stated_in_docstring(self):
        c = np.linspace(-1.0, 1.0, 20001)
        theta = to_numpy(angle_from_cos(c.astype("float32"))).astype(np.float64)
        exact = np.arccos(c.astype("float32").astype(np.float64))
        assert np.max(np.abs(theta - exact)) < 1e-3 + 1e-6  # + float32 rounding of π
        inner = np.abs(c) < 1 - 1e-6
        assert np.max(np.abs(theta - exact)[inner]) < 1e-6

    @pytest.mark.parametrize("name", sorted(ANGULAR_FUNCTIONS))
    def test_angular_gradients_finite_at_cos_pm1(self, name):
        fn = get_angular_function(name)
        (grad,) = self.assertFiniteGradients(
            fn, np.array([-1.0, -1.0 + 1e-7, 0.0, 1.0 - 1e-7, 1.0], "float32")
        )
        assert np.max(np.abs(grad)) < 1e4

    @pytest.mark.parametrize("name", sorted(MAGNITUDE_FUNCTIONS))
    def test_magnitude_gradients_finite(self, name):
        fn = get_magnitude_function(name)
        self.assertFiniteGradients(lambda r: fn(r, alpha=1.5, rho=0.5) * ops.ones_like(r), NORMS)

    @pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
    def test_half_precision(self, dtype):
        c = ops.cast(COSINES, dtype)
        for name, fn in ANGULAR_FUNCTIONS.items():
            out = fn(c)
            self.assertAllFinite(ops.cast(out, "float32"), msg=f"{name} {dtype}")
            expected = np.array(
                [ref.angular(name, float(v)) for v in to_numpy(ops.cast(c, "float32"))]
            )
            self.assertAllClose(ops.cast(out, "float32"), expected, atol=0.05, rtol=0)
        r = ops.cast(NORMS, dtype)
        for name, fn in MAGNITUDE_FUNCTIONS.items():
            self.assertAllFinite(ops.cast(fn(r, rho=1.0) * ops.ones_like(r), "float32"), msg=name)

    def test_sigmoid_form_is_the_papers(self):
        theta = np.linspace(0.0, math.pi, 7)
        k = 0.3
        a = math.pi / (2 * k)
        paper = (
            (1 + np.exp(-a))
            / (1 - np.exp(-a))
            * (1 - np.exp(theta / k - a))
            / (1 + np.exp(theta / k - a))
        )
        self.assertAllClose(
            get_angular_function("sigmoid")(np.cos(theta).astype("float32"), k=k), paper, atol=2e-3
        )

    def test_bad_names(self):
        with pytest.raises(ValueError, match="`magnitude` must be one of"):
            get_magnitude_function("cubic")
        with pytest.raises(ValueError, match="`angular` must be one of"):
            get_angular_function("arccos")
