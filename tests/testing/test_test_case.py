import keras
import numpy as np
import pytest
from keras import ops

from kzoo.testing import TestCase, gradients, layer_gradients

pytestmark = pytest.mark.multi_backend


@keras.saving.register_keras_serializable(package="kzoo_tests")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w * ops.cast(self.factor, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="kzoo_tests")
class ForgetfulScale(Scale):
    def get_config(self):
        return keras.layers.Layer.get_config(self)  # drops `factor`


class TestHarness(TestCase):
    def test_gradients_match_the_analytic_derivative(self):
        x = np.array([[1.0, -2.0, 3.0]], dtype="float32")
        (g,) = gradients(lambda t: t**3, x)
        np.testing.assert_allclose(g, 3 * x**2, rtol=1e-6)

    def test_layer_gradients_are_with_respect_to_weights(self):
        layer = Scale(3.0)
        x = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
        layer(x)
        (g,) = layer_gradients(layer, x)
        np.testing.assert_allclose(g, 3.0 * x.sum(0))

    def test_run_layer_test_passes_a_correct_layer(self):
        x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
        self.run_layer_test(
            Scale,
            {"factor": 0.5},
            x,
            expected_output_shape=(4, 3),
            expected_num_trainable_weights=1,
        )

    def test_run_layer_test_catches_a_lossy_config(self):
        x = np.ones((2, 3), dtype="float32")
        with pytest.raises(AssertionError):
            self.run_layer_test(ForgetfulScale, {"factor": 0.5}, x, run_precision_checks=False)

    def test_run_layer_test_catches_a_wrong_shape(self):
        with pytest.raises(AssertionError):
            self.run_layer_test(Scale, {}, np.ones((2, 3), "float32"), expected_output_shape=(2, 4))

    def test_reference_and_finiteness_assertions_can_fail(self):
        x = np.array([1.0, 4.0], dtype="float32")
        self.assertMatchesReference(ops.sqrt(x), np.sqrt, x)
        with pytest.raises(AssertionError):
            self.assertMatchesReference(ops.sqrt(x) + 1e-3, np.sqrt, x)
        with pytest.raises(AssertionError, match="non-finite"):
            self.assertFiniteGradients(lambda t: ops.sqrt(t), np.zeros(2, "float32"))

    def test_precision_test_runs_every_policy(self):
        self.run_precision_test(Scale, {"factor": 1.5}, np.ones((2, 3), "float32"))
