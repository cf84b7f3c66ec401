import keras
import numpy as np
import pytest

from kzoo.heads import ArcFace
from kzoo.models import MarginModel, build_margin_classifier
from kzoo.models.fine_tuning import batch_norm_layers, fine_tuning_model, recalibrate_batch_norm
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy

pytestmark = pytest.mark.multi_backend


def _bn_net():
    x = keras.Input((3,))
    h = keras.layers.BatchNormalization(name="bn0")(x)
    h = keras.layers.Dense(2, name="d")(h)
    out = keras.layers.BatchNormalization(name="bn1")(h)
    return keras.Model(x, out, name="backbone")


def _moments_loops(v):
    mean = [sum(float(v[i, j]) for i in range(len(v))) / len(v) for j in range(v.shape[1])]
    var = [
        sum((float(v[i, j]) - mean[j]) ** 2 for i in range(len(v))) / len(v)
        for j in range(v.shape[1])
    ]
    return np.array(mean), np.array(var)


class TestRecalibrateBatchNorm(TestCase):
    def test_whole_data_gives_the_exact_statistics(self):
        keras.utils.set_random_seed(0)
        net = _bn_net()
        x = np.random.default_rng(0).normal(3.0, 2.0, size=(16, 3)).astype("float32")
        bn0, bn1 = net.get_layer("bn0"), net.get_layer("bn1")
        bn1.trainable = False
        assert recalibrate_batch_norm(net, x) == 2
        mean, var = _moments_loops(x)
        self.assertAllClose(bn0.moving_mean, mean, atol=1e-4)
        self.assertAllClose(bn0.moving_variance, var, atol=1e-3)
        # the second layer sees the first one's batch-normalised output
        g, b = to_numpy(bn0.gamma), to_numpy(bn0.beta)
        normed = (x - mean) / np.sqrt(var + bn0.epsilon) * g + b
        w, c = (to_numpy(v) for v in net.get_layer("d").weights)
        mean1, var1 = _moments_loops(normed @ w + c)
        self.assertAllClose(bn1.moving_mean, mean1, atol=1e-4)
        self.assertAllClose(bn1.moving_variance, var1, atol=1e-3)
        assert bn1.trainable is False and bn0.momentum == 0.99  # restored

    def test_batches_average_their_statistics(self):
        net = _bn_net()
        x = np.random.default_rng(1).normal(size=(12, 3)).astype("float32")
        recalibrate_batch_norm(net, x, batch_size=4)
        means = np.mean([_moments_loops(x[i : i + 4])[0] for i in range(0, 12, 4)], axis=0)
        self.assertAllClose(net.get_layer("bn0").moving_mean, means, atol=1e-4)

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="`x`"):
            recalibrate_batch_norm(_bn_net(), np.zeros((0, 3)))
        with pytest.raises(ValueError, match="`batch_size`"):
            recalibrate_batch_norm(_bn_net(), np.zeros((2, 3)), batch_size=0)


class TestFineTuningModel:
    def _pretrained(self):
        return build_margin_classifier(
            5, head="cosface", backbone="conv4", backbone_kwargs={"width": 4}, embedding_dim=4
        )

    def test_new_head_shares_the_backbone(self):
        pretrained = self._pretrained()
        model = fine_tuning_model(pretrained, 7, head="arcface", head_kwargs={"scale": 8.0})
        assert isinstance(model, MarginModel) and isinstance(model.head, ArcFace)
        assert model.head.num_classes == 7 and model.head.scale == 8.0
        assert model.backbone is pretrained.get_layer("backbone")
        assert {layer.momentum for layer in batch_norm_layers(model.backbone)} == {0.9}
        x = np.zeros((2, 28, 28, 1), "float32")
        self_emb = model.predict(x, verbose=0)[0]
        pre_emb = pretrained.predict(x, verbose=0)[0]
        np.testing.assert_allclose(self_emb, pre_emb, atol=1e-6)

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="`head`"):
            fine_tuning_model(self._pretrained(), 3, head="nope")
        with pytest.raises(ValueError, match="`bn_momentum`"):
            fine_tuning_model(self._pretrained(), 3, bn_momentum=1.0)
        plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        with pytest.raises(ValueError, match="backbone"):
            fine_tuning_model(plain, 3)
