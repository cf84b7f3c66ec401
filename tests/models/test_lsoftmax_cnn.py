import keras
import numpy as np
import pytest

from kzoo.models import build_lsoftmax_cnn, build_margin_classifier
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


class TestLSoftmaxCNN(TestCase):
    def test_paper_layout(self):
        model = build_lsoftmax_cnn()
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        assert len(convs) == 10 and {c.filters for c in convs} == {64}
        assert {c.kernel_size for c in convs} == {(3, 3)}
        pools = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)]
        assert [p.output.shape[1] for p in pools] == [14, 7, 4]
        assert model.output_shape == (None, 256)
        assert model.get_layer("embedding").activation is keras.activations.linear

    def test_narrow_version_and_round_trip(self):
        model = build_lsoftmax_cnn(width=8, convs_per_stage=1, embedding_dim=16)
        x = np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype("float32")
        assert model(x).shape == (3, 16)
        assert model.count_params() < build_lsoftmax_cnn(width=16).count_params()
        self.run_model_saving_test(model, x, atol=1e-5)

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"width": 0}, "`width` must be a positive int"),
            ({"convs_per_stage": 1.5}, "`convs_per_stage`"),
            ({"embedding_dim": True}, "`embedding_dim`"),
            ({"input_shape": (28, 28)}, "`input_shape`"),
        ],
    )
    def test_bad_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            build_lsoftmax_cnn(**kwargs)

    def test_as_margin_classifier_backbone(self):
        model = build_margin_classifier(
            10,
            head="lsoftmax",
            backbone="lsoftmax_cnn",
            embedding_dim=32,
            backbone_kwargs={"width": 8, "convs_per_stage": 1},
        )
        x = np.zeros((2, 28, 28, 1), "float32")
        embedding, logits = model(x)
        assert embedding.shape == (2, 32) and logits.shape == (2, 10)
        assert model.name == "lsoftmax_lsoftmax_cnn_classifier"
        with pytest.raises(ValueError, match="`backbone` must be one of"):
            build_margin_classifier(10, backbone="vgg")
        with pytest.raises(ValueError, match="`conv` applies"):
            build_margin_classifier(10, backbone="lsoftmax_cnn", conv={"magnitude": "tanh"})
