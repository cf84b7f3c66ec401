import numpy as np
import pytest

from kzoo.models import BACKBONES, build_backbone, build_embedding_model, register_backbone
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy

pytestmark = pytest.mark.multi_backend


def _images(n=4):
    return np.random.default_rng(0).uniform(size=(n, 28, 28, 1)).astype("float32")


class TestEmbeddingModel(TestCase):
    @pytest.mark.parametrize(
        "backbone, kwargs",
        [
            ("resnet_cifar", {"depth": 8}),
            ("resnet_cifar", {"depth": 8, "conv": {"magnitude": "tanh", "angular": "cosine"}}),
            ("lsoftmax_cnn", {"backbone_kwargs": {"width": 4, "convs_per_stage": 1}}),
        ],
    )
    def test_unit_norm_embedding_and_round_trip(self, backbone, kwargs):
        model = build_embedding_model(backbone, embedding_dim=8, **kwargs)
        out = to_numpy(model(_images()))
        assert out.shape == (4, 8)
        self.assertAllClose(np.linalg.norm(out, axis=1), np.ones(4), atol=1e-5)
        self.run_model_saving_test(model, _images(), atol=1e-5)

    def test_raw_output_without_normalisation(self):
        model = build_embedding_model("resnet_cifar", depth=8, embedding_dim=8, normalize=False)
        raw = model.get_layer("backbone")(_images())
        self.assertAllClose(model(_images()), raw, atol=1e-6)
        assert model.output.name.startswith("embedding") or model.layers[-1].name == "embedding"

    def test_bad_backbone_arguments(self):
        with pytest.raises(ValueError, match="`backbone` must be one of"):
            build_backbone("vgg")
        with pytest.raises(ValueError, match="`depth` applies to the 'resnet_cifar'"):
            build_backbone("lsoftmax_cnn", depth=20)
        with pytest.raises(ValueError, match="`conv` applies"):
            build_backbone("lsoftmax_cnn", conv={"magnitude": "tanh"})
        with pytest.raises(ValueError, match=r"`conv\['type'\]` must be 'decoupled'"):
            build_backbone("resnet_cifar", conv={"type": "separable"})

    def test_register_backbone(self):
        def tiny(input_shape, embedding_dim, name):
            import keras

            x = keras.Input(input_shape)
            return keras.Model(x, keras.layers.Dense(embedding_dim)(keras.layers.Flatten()(x)))

        try:
            register_backbone("tiny_test", tiny)
            assert build_embedding_model("tiny_test", embedding_dim=3)(_images()).shape == (4, 3)
            with pytest.raises(ValueError, match="already registered"):
                register_backbone("tiny_test", lambda **kw: None)
        finally:
            BACKBONES.pop("tiny_test", None)
