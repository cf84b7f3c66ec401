import keras
import numpy as np
import pytest

from kzoo.callbacks import WeightProjection, project_kernel
from kzoo.layers import DecoupledConv2D, DecoupledDense
from kzoo.testing import TestCase, to_numpy

pytestmark = pytest.mark.multi_backend


def _column_norms(kernel):
    k = np.asarray(kernel, np.float64)
    return np.array([np.sqrt(np.sum(k[..., j] ** 2)) for j in range(k.shape[-1])])


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6, 6, 1))
    x = DecoupledConv2D(3, 3, magnitude="tanh", epsilon=1e-10, name="dc")(inputs)
    x = keras.layers.Flatten()(x)
    x = DecoupledDense(4, magnitude="linear", weighting="linear", name="weighted")(x)
    outputs = keras.layers.Dense(2, name="plain")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    return model


class TestWeightProjection(TestCase):
    def test_project_kernel_matches_loop_reference(self):
        kernel = np.random.default_rng(0).normal(size=(2, 3, 4, 5)).astype("float32")
        projected = to_numpy(project_kernel(kernel, 2.5))
        for j in range(5):
            expected = (
                2.5 * kernel[..., j] / np.sqrt(np.sum(kernel[..., j].astype(np.float64) ** 2))
            )
            self.assertAllClose(projected[..., j], expected, atol=1e-5, rtol=1e-5)
        self.assertAllFinite(project_kernel(np.zeros((3, 2), "float32"), 1.0))

    def test_fit_projects_only_unweighted_decoupled_kernels(self):
        model = _model()
        x = np.random.default_rng(1).normal(size=(16, 6, 6, 1)).astype("float32")
        y = np.random.default_rng(2).normal(size=(16, 2)).astype("float32")
        callback = WeightProjection(norm=2.0, every_n_steps=2)
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[callback])  # 4 steps
        self.assertAllClose(_column_norms(model.get_layer("dc").kernel), np.full(3, 2.0), atol=1e-5)
        assert not np.allclose(_column_norms(model.get_layer("weighted").kernel), 2.0, atol=1e-3)

    def test_projection_keeps_unweighted_outputs_and_layer_names_select(self):
        model = _model()
        x = np.random.default_rng(3).normal(size=(2, 6, 6, 1)).astype("float32")
        dc_out = keras.Model(model.input, model.get_layer("dc").output)
        before = to_numpy(dc_out(x))
        callback = WeightProjection(norm=5.0, every_n_steps=1)
        callback.set_model(model)
        callback.project()
        self.assertAllClose(dc_out(x), before, atol=1e-5, rtol=1e-4)
        named = WeightProjection(norm=0.5, layer_names=["plain"])
        named.set_model(model)
        named.project()
        self.assertAllClose(
            _column_norms(model.get_layer("plain").kernel), np.full(2, 0.5), atol=1e-5
        )

    def test_serialization(self):
        callback = WeightProjection(norm=3.0, every_n_steps=7, layer_names=["a", "b"])
        revived = self.run_serialization_test(callback)
        assert revived.layer_names == ["a", "b"] and revived.every_n_steps == 7

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="`norm` must be a positive number"):
            WeightProjection(norm=0.0)
        with pytest.raises(TypeError, match="`norm` must be a positive number"):
            WeightProjection(norm="1")
        with pytest.raises(ValueError, match="`every_n_steps` must be a positive int"):
            WeightProjection(every_n_steps=0)
        with pytest.raises(TypeError, match="`layer_names` must be a list of layer names"):
            WeightProjection(layer_names="dc")
        callback = WeightProjection(layer_names=["nope"])
        callback.set_model(_model())
        with pytest.raises(ValueError, match="`layer_names` has names not in the model"):
            callback.project()
        model = _model()
        flatten = next(layer for layer in model.layers if isinstance(layer, keras.layers.Flatten))
        callback = WeightProjection(layer_names=[flatten.name])
        callback.set_model(model)
        with pytest.raises(ValueError, match="without a `kernel`"):
            callback.project()
