import keras
import numpy as np
import pytest

from kzoo.models import (
    BACKBONES,
    build_conv4,
    build_embedding_model,
    build_margin_classifier,
    training_model,
)
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy

pytestmark = pytest.mark.multi_backend


def _images(n=3, size=28):
    return np.random.default_rng(0).uniform(size=(n, size, size, 1)).astype("float32")


class TestConv4(TestCase):
    def test_papers_layout(self):
        model = build_conv4()
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        assert len(convs) == 4 and {c.filters for c in convs} == {64}
        assert {c.kernel_size for c in convs} == {(3, 3)}
        assert all(c.padding == "same" and not c.use_bias for c in convs)
        bns = [
            layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
        ]
        assert len(bns) == 4
        pools = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)]
        assert [p.output.shape[1] for p in pools] == [14, 7, 3, 1]
        assert model.get_layer("flatten").output.shape[-1] == 64
        assert model.get_layer("embedding").activation is keras.activations.linear
        assert model.output_shape == (None, 128)
        # 4 convs (1 + 3 x 64 input channels) + 4 BN + the 64 -> 128 projection
        expected = 9 * 64 * (1 + 3 * 64) + 4 * 4 * 64 + 64 * 128 + 128
        assert model.count_params() == expected

    def test_shapes_and_round_trip(self):
        model = build_conv4(input_shape=(32, 32, 3), embedding_dim=16, width=8, blocks=3)
        x = np.random.default_rng(1).uniform(size=(2, 32, 32, 3)).astype("float32")
        assert model(x).shape == (2, 16)
        assert model.get_layer("flatten").output.shape[-1] == 4 * 4 * 8
        self.run_model_saving_test(model, x, atol=1e-5)

    def test_registered_backbone(self):
        assert BACKBONES["conv4"] is build_conv4
        model = build_embedding_model("conv4", embedding_dim=8, backbone_kwargs={"width": 4})
        out = to_numpy(model(_images()))
        assert out.shape == (3, 8)
        self.assertAllClose(np.linalg.norm(out, axis=1), np.ones(3), atol=1e-5)
        self.run_model_saving_test(model, _images(), atol=1e-5)

    def test_margin_classifier_backbone(self):
        model = build_margin_classifier(
            7,
            head="arcface",
            head_kwargs={"scale": 16.0, "margin": 0.3},
            backbone="conv4",
            embedding_dim=8,
            backbone_kwargs={"width": 4},
        )
        embedding, logits = model(_images())
        assert embedding.shape == (3, 8) and logits.shape == (3, 7)
        assert model.name == "arcface_conv4_classifier"
        margin_logits = training_model(model)([_images(), np.array([0, 1, 2])])
        assert margin_logits.shape == (3, 7)
        self.run_model_saving_test(model, _images(), atol=1e-5)

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"width": 0}, "`width` must be a positive int"),
            ({"blocks": 2.0}, "`blocks` must be a positive int"),
            ({"embedding_dim": True}, "`embedding_dim` must be a positive int"),
            ({"input_shape": (28, 28)}, "`input_shape` must be"),
            ({"input_shape": (28, 28, 1), "blocks": 5}, "too small for 5 blocks"),
        ],
    )
    def test_bad_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            build_conv4(**kwargs)
