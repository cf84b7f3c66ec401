import itertools

import keras
import numpy as np
import pytest
from keras import ops

from kzoo.layers import DecoupledConv2D
from kzoo.ops import ANGULAR_FUNCTIONS, MAGNITUDE_FUNCTIONS
from kzoo.testing import TestCase, gradients, layer_gradients, to_numpy
from tests.layers import decoupled_reference as ref

pytestmark = pytest.mark.multi_backend

PAIRS = list(itertools.product(sorted(MAGNITUDE_FUNCTIONS), sorted(ANGULAR_FUNCTIONS)))
GEOMETRIES = [
    {"kernel_size": 3, "strides": 1, "padding": "valid", "dilation_rate": 1},
    {"kernel_size": 3, "strides": 2, "padding": "same", "dilation_rate": 1},
    {"kernel_size": (2, 3), "strides": 1, "padding": "same", "dilation_rate": 2},
    {"kernel_size": 2, "strides": (1, 2), "padding": "valid", "dilation_rate": 1},
]


def _inputs(seed=0, shape=(2, 6, 7, 3)):
    x = np.random.default_rng(seed).normal(size=shape).astype("float32")
    x[0, :3, :3] = 0.0  # some all-zero patches
    return x


def _reference(layer, x):
    rho = (
        to_numpy(layer.effective_rho())
        if layer.learnable_rho
        else np.full(layer.filters, layer.rho)
    )
    return ref.conv2d(
        x.astype(np.float64),
        to_numpy(layer.kernel).astype(np.float64),
        strides=layer.strides,
        padding=layer.padding,
        dilation=layer.dilation_rate,
        rho=rho,
        magnitude_name=layer.magnitude,
        angular_name=layer.angular,
        alpha=layer.alpha,
        beta=layer.beta,
        k=layer.sigmoid_k,
        weighting=layer.weighting,
        eps=layer.epsilon,
    )


class TestDecoupledConv2D(TestCase):
    @pytest.mark.parametrize("magnitude,angular", PAIRS)
    def test_matches_numpy_reference(self, magnitude, angular):
        geometry = GEOMETRIES[PAIRS.index((magnitude, angular)) % len(GEOMETRIES)]
        layer = DecoupledConv2D(
            4, magnitude=magnitude, angular=angular, alpha=1.3, rho=2.0, beta=0.4, **geometry
        )
        x = _inputs()
        self.assertAllClose(layer(x), _reference(layer, x), atol=2e-4, rtol=2e-4)

    @pytest.mark.parametrize("weighting", ["linear", "nonlinear"])
    @pytest.mark.parametrize("magnitude", ["tanh", "log"])
    def test_weighted_variants(self, weighting, magnitude):
        layer = DecoupledConv2D(3, 3, padding="same", magnitude=magnitude, weighting=weighting)
        x = _inputs(1)
        layer.build(x.shape)
        layer.kernel.assign(layer.kernel * 3.0)  # make ‖w‖ matter
        self.assertAllClose(layer(x), _reference(layer, x), atol=2e-4, rtol=2e-4)

    def test_learnable_rho_is_the_only_extra_weight(self):
        layer = DecoupledConv2D(5, 3, magnitude="tanh", rho=0.5, learnable_rho=True)
        x = _inputs(2)
        layer.build(x.shape)
        assert [w.name for w in layer.trainable_weights] == ["kernel", "radius"]
        self.assertAllClose(layer.effective_rho(), np.full(5, 0.5), atol=1e-6)
        layer.radius.assign(np.array([1.5, 2.0, 2.5, 3.0, 0.0], "float32"))  # last: ρ floor
        self.assertAllClose(layer(x), _reference(layer, x), atol=2e-4, rtol=2e-4)
        grad_kernel, grad_radius = layer_gradients(layer, x)
        assert np.all(np.abs(grad_radius[:4]) > 0)
        self.assertAllFinite([grad_kernel, grad_radius])

    @pytest.mark.parametrize("geometry", GEOMETRIES)
    def test_unification_with_conv2d(self, geometry):
        x = _inputs(3, (2, 9, 8, 3))
        layer = DecoupledConv2D(
            6, magnitude="linear", angular="cosine", weighting="linear", **geometry
        )
        conv = keras.layers.Conv2D(6, use_bias=False, **geometry)
        layer.build(x.shape)
        conv.build(x.shape)
        conv.kernel.assign(layer.kernel)
        self.assertAllClose(layer(x), conv(x), atol=1e-5, rtol=1e-5)

    def test_unification_with_bias_and_activation(self):
        x = _inputs(4)
        kwargs = {
            "padding": "same",
            "use_bias": True,
            "activation": "relu",
            "bias_initializer": "ones",
        }
        layer = DecoupledConv2D(4, 3, magnitude="linear", weighting="linear", **kwargs)
        conv = keras.layers.Conv2D(4, 3, **kwargs)
        layer.build(x.shape)
        conv.build(x.shape)
        conv.kernel.assign(layer.kernel)
        self.assertAllClose(layer(x), conv(x), atol=1e-5, rtol=1e-5)

    def test_output_invariant_to_kernel_scale_without_weighting(self):
        layer = DecoupledConv2D(4, 3, magnitude="tanh", angular="sigmoid", epsilon=1e-12)
        x = _inputs(5)
        before = to_numpy(layer(x))
        layer.kernel.assign(layer.kernel * 7.0)
        self.assertAllClose(layer(x), before, atol=1e-5, rtol=1e-4)

    @pytest.mark.parametrize("angular", sorted(ANGULAR_FUNCTIONS))
    @pytest.mark.parametrize("weighting", ["none", "nonlinear"])
    def test_finite_gradients_at_zero_patches_and_cos_pm1(self, angular, weighting):
        layer = DecoupledConv2D(2, 1, magnitude="tanh", angular=angular, weighting=weighting)
        kernel = np.array([[[[1.0, -2.0], [2.0, -4.0]]]], "float32")  # 1x1x2x2, columns ∥
        layer.build((None, 2, 2, 2))
        layer.kernel.assign(kernel)
        x = np.zeros((1, 2, 2, 2), "float32")
        x[0, 0, 0] = [1.0, 2.0]  # cos = +1 with filter 0, -1 with filter 1
        x[0, 0, 1] = [-3.0, -6.0]
        x[0, 1, 0] = [1e-8, 0.0]  # tiny patch; x[0, 1, 1] stays zero
        out = to_numpy(layer(x))
        self.assertAllClose(out[0, 0, 0] / np.abs(out[0, 0, 0]), [1.0, -1.0])
        self.assertAllFinite(layer_gradients(layer, x))
        self.assertFiniteGradients(lambda v: layer(v), x)
        self.assertAllFinite(gradients(lambda k: layer.stateless_call([k], [], x)[0], kernel))

    def test_layer_test_shapes_saving_precision(self):
        x = _inputs(6)
        self.run_layer_test(
            DecoupledConv2D,
            {
                "filters": 4,
                "kernel_size": 3,
                "strides": 2,
                "padding": "same",
                "magnitude": "ball",
                "angular": "sigmoid",
                "learnable_rho": True,
                "use_bias": True,
            },
            x,
            expected_output_shape=(2, 3, 4, 4),
            expected_num_trainable_weights=3,
        )

    def test_large_inputs_stay_finite_in_half_precision(self):
        x = np.full((1, 5, 5, 8), 120.0, "float32")  # Σx² per 3x3 patch > float16 max
        for policy in ("float16", "mixed_float16", "bfloat16"):
            layer = DecoupledConv2D(2, 3, magnitude="log", dtype=policy)
            out = layer(x)
            assert keras.backend.standardize_dtype(out.dtype) == layer.compute_dtype
            self.assertAllFinite(ops.cast(out, "float32"), msg=policy)

    def test_channels_first_matches_channels_last(self):
        x = _inputs(7)
        last = DecoupledConv2D(3, 3, strides=2, padding="same", data_format="channels_last")
        first = DecoupledConv2D(3, 3, strides=2, padding="same", data_format="channels_first")
        x_first = np.transpose(x, (0, 3, 1, 2))
        last.build(x.shape)
        first.build(x_first.shape)
        first.kernel.assign(last.kernel)
        try:
            out_first = to_numpy(first(x_first))
        except Exception as err:  # TF's CPU kernels have no NCHW convolution
            pytest.skip(f"channels_first conv not supported here: {type(err).__name__}")
        self.assertAllClose(np.transpose(out_first, (0, 2, 3, 1)), last(x), atol=1e-5)

    def test_serialization_round_trip(self):
        layer = DecoupledConv2D(
            8,
            (3, 2),
            strides=(2, 1),
            padding="SAME",
            magnitude="mix",
            angular="square_cosine",
            weighting="nonlinear",
            alpha=2.0,
            beta=0.1,
            sigmoid_k=0.5,
            epsilon=1e-3,
            kernel_regularizer="l2",
            name="dc",
        )
        revived = self.run_serialization_test(layer)
        assert revived.padding == "same" and revived.kernel_size == (3, 2)

    @pytest.mark.parametrize(
        "kwargs,error,message",
        [
            ({"magnitude": "cubic"}, ValueError, "`magnitude` must be one of"),
            ({"angular": "acos"}, ValueError, "`angular` must be one of"),
            ({"weighting": "quadratic"}, ValueError, "`weighting` must be one of"),
            ({"alpha": 0.0}, ValueError, "`alpha` must be a finite number > 0"),
            ({"rho": -1.0}, ValueError, "`rho` must be a finite number > 0"),
            ({"rho": "1"}, TypeError, "`rho` must be a finite number > 0"),
            ({"sigmoid_k": 0}, ValueError, "`sigmoid_k` must be a finite number > 0"),
            ({"epsilon": 0.0}, ValueError, "`epsilon` must be a finite number > 0"),
            ({"beta": None}, TypeError, "`beta` must be a finite number"),
            ({"learnable_rho": 1}, TypeError, "`learnable_rho` must be a bool"),
            ({"filters": 0}, ValueError, "`filters` must be a positive int"),
            ({"kernel_size": (3, 3, 3)}, ValueError, "`kernel_size` must be"),
            ({"strides": 0}, ValueError, "`strides` must be"),
            ({"padding": "causal"}, ValueError, "`padding` must be 'valid' or 'same'"),
            ({"data_format": "nhwc"}, ValueError, "`data_format` must be"),
            (
                {"strides": 2, "dilation_rate": 2},
                ValueError,
                "`dilation_rate` > 1 is not supported",
            ),
        ],
    )
    def test_bad_arguments(self, kwargs, error, message):
        args = {"filters": 4, "kernel_size": 3, **kwargs}
        with pytest.raises(error, match=message):
            DecoupledConv2D(**args)

    def test_bad_input_rank(self):
        with pytest.raises(ValueError, match="ndim"):
            DecoupledConv2D(2, 3)(np.zeros((2, 5, 5), "float32"))


class TestNormalizeNorm(TestCase):
    def test_training_uses_batch_mean_and_updates_moving_average(self):
        x = _inputs(8)
        layer = DecoupledConv2D(3, 3, magnitude="tanh", normalize_norm=True, norm_momentum=0.9)
        layer.build(x.shape)
        kernel = to_numpy(layer.kernel).astype(np.float64)
        norms = np.zeros((2, 4, 5))
        for n, i, j in itertools.product(*(range(s) for s in norms.shape)):
            patch = x[n, i : i + 3, j : j + 3].astype(np.float64)
            norms[n, i, j] = np.sqrt(np.sum(patch**2) + layer.epsilon)
        mean = norms.mean()

        def reference(scale):
            out = np.zeros((*norms.shape, 3))
            for n, i, j, f in itertools.product(*(range(s) for s in out.shape)):
                w = kernel[..., f]
                patch = x[n, i : i + 3, j : j + 3].astype(np.float64)
                wn = np.sqrt(np.sum(w**2) + layer.epsilon)
                cos = np.sum(w * patch) / (wn * norms[n, i, j])
                out[n, i, j, f] = np.tanh(norms[n, i, j] / (scale + 1e-6)) * cos
            return out

        self.assertAllClose(layer(x, training=True), reference(mean), atol=1e-4, rtol=1e-4)
        self.assertAllClose(layer.moving_norm_mean, 0.9 + 0.1 * mean, atol=1e-5, rtol=1e-5)
        self.assertAllClose(layer(x), reference(0.9 + 0.1 * mean), atol=1e-4, rtol=1e-4)
        self.assertAllFinite(layer_gradients(layer, x, training=True))

    def test_layer_test_and_bad_arguments(self):
        self.run_layer_test(
            DecoupledConv2D,
            {
                "filters": 2,
                "kernel_size": 3,
                "magnitude": "tanh",
                "normalize_norm": True,
                "learnable_rho": True,
            },
            _inputs(9),
            expected_output_shape=(2, 4, 5, 2),
            expected_num_trainable_weights=2,
            run_precision_checks=False,
        )
        with pytest.raises(TypeError, match="`normalize_norm` must be a bool"):
            DecoupledConv2D(2, 3, normalize_norm="yes")
        with pytest.raises(ValueError, match=r"`norm_momentum` must be .* in \[0, 1\)"):
            DecoupledConv2D(2, 3, norm_momentum=1.0)
