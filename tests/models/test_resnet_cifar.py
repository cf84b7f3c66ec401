import functools

import keras
import numpy as np
import pytest

from kzoo.layers import DecoupledConv2D
from kzoo.models import build_resnet_cifar
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


def _count(model, cls):
    return sum(isinstance(layer, cls) for layer in model.layers)


class TestResNetCIFAR(TestCase):
    @pytest.mark.parametrize("depth", [20, 56])
    def test_layout(self, depth):
        model = build_resnet_cifar(depth)
        n = (depth - 2) // 6
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        assert sum(layer.kernel_size == (3, 3) for layer in convs) == 1 + 6 * n  # depth - 1
        assert sum(layer.kernel_size == (1, 1) for layer in convs) == 2
        assert model.output_shape == (None, 128)
        assert model.name == f"resnet{depth}_cifar"
        shapes = {layer.name: layer.output.shape for layer in model.layers}
        assert shapes["stage1_block1_out"][1:] == (28, 28, 16)
        assert shapes["stage2_block1_out"][1:] == (14, 14, 32)
        assert shapes[f"stage3_block{n}_out"][1:] == (7, 7, 64)

    def test_plain_resnet20_parameter_count(self):
        # He et al. report 0.27M parameters for ResNet-20 on CIFAR (3 input channels, option A
        # shortcuts, 10-way FC). Ours: 1 input channel, 1x1 projection shortcuts, 128-d output.
        model = build_resnet_cifar(20)
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        assert 260_000 < trainable < 290_000, trainable

    def test_decoupled_factory_and_keras_round_trip(self):
        factory = functools.partial(
            DecoupledConv2D, magnitude="tanh", angular="cosine", learnable_rho=True
        )
        model = build_resnet_cifar(8, embedding_dim=16, conv_layer=factory, widths=(4, 8, 8))
        assert _count(model, DecoupledConv2D) == 7
        assert _count(model, keras.layers.Conv2D) == 2  # the projection shortcuts stay plain
        assert model.get_layer("stage1_block1_1_conv").learnable_rho
        x = np.random.default_rng(0).normal(size=(2, 28, 28, 1)).astype("float32")
        assert tuple(model(x).shape) == (2, 16)
        restored = self.run_model_saving_test(model, x, atol=1e-5)
        assert isinstance(restored.get_layer("stem_conv"), DecoupledConv2D)

    def test_shortcut_factory_and_input_shape(self):
        model = build_resnet_cifar(
            8,
            input_shape=(32, 32, 3),
            embedding_dim=8,
            widths=(4, 8, 16),
            conv_layer=keras.layers.Conv2D,
            shortcut_conv_layer=functools.partial(DecoupledConv2D, magnitude="linear"),
        )
        assert _count(model, DecoupledConv2D) == 2
        assert model.output_shape == (None, 8)
        assert model.get_layer("stage3_block1_out").output.shape[1:] == (8, 8, 16)

    def test_fit_reduces_loss(self):
        keras.utils.set_random_seed(0)
        factory = functools.partial(
            DecoupledConv2D, magnitude="tanh", learnable_rho=True, normalize_norm=True
        )
        backbone = build_resnet_cifar(
            8, input_shape=(12, 12, 1), embedding_dim=8, conv_layer=factory, widths=(4, 4, 8)
        )
        model = keras.Sequential([backbone, keras.layers.Dense(2)])
        model.compile(
            optimizer=keras.optimizers.Adam(1e-2),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        rng = np.random.default_rng(0)
        y = rng.integers(0, 2, size=32)
        x = rng.normal(size=(32, 12, 12, 1)).astype("float32") * 0.3
        x[y == 1, :6] += 1.0  # class 1: bright top half
        history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
        losses = history.history["loss"]
        assert np.all(np.isfinite(losses)) and losses[-1] < 0.7 * losses[0], losses

    @pytest.mark.parametrize(
        "kwargs,error,message",
        [
            ({"depth": 18}, ValueError, "`depth` must be 6n \\+ 2"),
            ({"depth": 2}, ValueError, "`depth` must be 6n \\+ 2"),
            ({"embedding_dim": 0}, ValueError, "`embedding_dim` must be a positive int"),
            ({"widths": (16, 32)}, ValueError, "`widths` must be three positive ints"),
            ({"input_shape": (28, 28)}, ValueError, "`input_shape` must be"),
            ({"conv_layer": "conv2d"}, TypeError, "`conv_layer` must be a callable"),
            ({"shortcut_conv_layer": 3}, TypeError, "`shortcut_conv_layer` must be a callable"),
        ],
    )
    def test_bad_arguments(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            build_resnet_cifar(**kwargs)
