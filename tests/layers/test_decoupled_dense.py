import itertools

import keras
import numpy as np
import pytest

from kzoo.layers import DecoupledDense
from kzoo.ops import ANGULAR_FUNCTIONS, MAGNITUDE_FUNCTIONS
from kzoo.testing import TestCase, layer_gradients, to_numpy
from tests.layers import decoupled_reference as ref

pytestmark = pytest.mark.multi_backend

PAIRS = list(itertools.product(sorted(MAGNITUDE_FUNCTIONS), sorted(ANGULAR_FUNCTIONS)))


def _inputs(seed=0, shape=(4, 6)):
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    x[0] = 0.0
    return x


def _reference(layer, x):
    rho = (
        to_numpy(layer.effective_rho()) if layer.learnable_rho else np.full(layer.units, layer.rho)
    )
    return ref.dense(
        x.astype(np.float64),
        to_numpy(layer.kernel).astype(np.float64),
        rho=rho,
        magnitude_name=layer.magnitude,
        angular_name=layer.angular,
        alpha=layer.alpha,
        beta=layer.beta,
        k=layer.sigmoid_k,
        weighting=layer.weighting,
        eps=layer.epsilon,
    )


class TestDecoupledDense(TestCase):
    def test_all_pairs_match_numpy_reference(self):
        x = _inputs()
        for weighting, (magnitude, angular) in itertools.product(
            ["none", "linear", "nonlinear"], PAIRS
        ):
            layer = DecoupledDense(
                5, magnitude=magnitude, angular=angular, weighting=weighting, alpha=0.8, rho=1.7
            )
            self.assertAllClose(layer(x), _reference(layer, x), atol=1e-4, rtol=1e-4)

    def test_learnable_rho(self):
        x = _inputs(1)
        layer = DecoupledDense(3, magnitude="ball", rho=2.0, learnable_rho=True)
        layer.build(x.shape)
        layer.radius.assign(np.array([1.0, 2.0, 0.5], "float32"))
        self.assertAllClose(layer.effective_rho(), [1.0, 4.0, 0.25])
        self.assertAllClose(layer(x), _reference(layer, x), atol=1e-4, rtol=1e-4)

    def test_unification_with_dense(self):
        x = _inputs(2, (3, 2, 6))
        layer = DecoupledDense(4, magnitude="linear", angular="cosine", weighting="linear")
        dense = keras.layers.Dense(4, use_bias=False)
        layer.build(x.shape)
        dense.build(x.shape)
        dense.kernel.assign(layer.kernel)
        out = layer(x)
        assert tuple(out.shape) == (3, 2, 4)
        self.assertAllClose(out, dense(x), atol=1e-5, rtol=1e-5)

    @pytest.mark.parametrize("angular", sorted(ANGULAR_FUNCTIONS))
    def test_finite_gradients_at_edges(self, angular):
        layer = DecoupledDense(2, magnitude="tanh", angular=angular, weighting="linear")
        layer.build((None, 3))
        layer.kernel.assign(np.array([[1.0, 0.0], [2.0, 0.0], [-1.0, 0.0]], "float32"))
        x = np.array([[1.0, 2.0, -1.0], [-2.0, -4.0, 2.0], [0.0, 0.0, 0.0]], "float32")
        self.assertAllClose(to_numpy(layer(x))[:2, 0] > 0, [True, False])
        self.assertAllFinite(layer_gradients(layer, x))
        self.assertFiniteGradients(lambda v: layer(v), x)

    def test_layer_test_shapes_saving_precision(self):
        self.run_layer_test(
            DecoupledDense,
            {
                "units": 3,
                "magnitude": "segmented",
                "angular": "linear",
                "learnable_rho": True,
                "use_bias": True,
                "activation": "relu",
            },
            _inputs(3),
            expected_output_shape=(4, 3),
            expected_num_trainable_weights=3,
        )

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="`units` must be an int >= 1"):
            DecoupledDense(0)
        with pytest.raises(ValueError, match="`magnitude` must be one of"):
            DecoupledDense(2, magnitude="Tanh")
        with pytest.raises(ValueError, match="`weighting` must be one of"):
            DecoupledDense(2, weighting=True)
        with pytest.raises(ValueError, match="last dimension of the inputs must be known"):
            DecoupledDense(2).build((None, None))
