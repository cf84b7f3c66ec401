import keras
import numpy as np
import pytest

from kzoo.layers import L2Normalization
from kzoo.models import HEADS, build_margin_classifier, training_model
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


def _images(n=6, seed=0):
    return np.random.default_rng(seed).uniform(size=(n, 28, 28, 1)).astype("float32")


class TestMarginClassifier(TestCase):
    @pytest.mark.parametrize("head", sorted(HEADS))
    def test_inference_model_outputs_unit_embeddings_and_margin_free_logits(self, head):
        model = build_margin_classifier(10, head=head, depth=8, embedding_dim=16)
        embedding, logits = model(_images())
        assert embedding.shape == (6, 16) and logits.shape == (6, 10)
        self.assertAllClose(
            np.linalg.norm(keras.ops.convert_to_numpy(embedding), axis=1), np.ones(6), atol=1e-5
        )
        raw = model.get_layer("backbone")(_images())
        self.assertAllClose(logits, model.get_layer("head")(raw), atol=1e-5)

    def test_training_model_shares_weights_and_applies_the_margin(self):
        model = build_margin_classifier(10, head="cosface", depth=8, embedding_dim=16)
        trainer = training_model(model)
        assert {id(w) for w in trainer.weights} == {id(w) for w in model.weights}
        labels = np.arange(6, dtype="int32")
        margin_logits = keras.ops.convert_to_numpy(trainer([_images(), labels]))
        plain = keras.ops.convert_to_numpy(model(_images())[1])
        target = np.arange(6), labels
        head = model.get_layer("head")
        np.testing.assert_allclose(
            plain[target] - margin_logits[target], head.scale * head.margin, atol=1e-3
        )
        off = np.ones_like(plain, bool)
        off[target] = False
        np.testing.assert_allclose(plain[off], margin_logits[off], atol=1e-4)

    def test_fit_then_keras_round_trip(self):
        keras.utils.set_random_seed(0)
        model = build_margin_classifier(3, head="sphereface", depth=8, embedding_dim=8)
        trainer = training_model(model)
        trainer.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        x, y = _images(24), np.tile(np.arange(3, dtype="int32"), 8)
        history = trainer.fit({"image": x, "label": y}, y, epochs=2, batch_size=8, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        self.run_model_saving_test(model, x[:4], atol=1e-5)

    def test_decoupled_backbone(self):
        model = build_margin_classifier(
            4,
            head="normface",
            depth=8,
            embedding_dim=8,
            conv={"type": "decoupled", "magnitude": "tanh"},
        )
        from kzoo.layers import DecoupledConv2D

        assert any(
            isinstance(layer, DecoupledConv2D) for layer in model.get_layer("backbone").layers
        )
        self.assertAllFinite(model(_images(2)))

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="`head` must be one of"):
            build_margin_classifier(10, head="triplet")
        with pytest.raises(ValueError, match="`conv\\['type'\\]` must be 'decoupled'"):
            build_margin_classifier(10, conv={"type": "depthwise"})


class TestL2Normalization(TestCase):
    def test_layer(self):
        x = np.array([[3.0, 4.0], [0.0, 0.0]], dtype="float32")
        self.run_layer_test(L2Normalization, {}, x, expected_output_shape=(2, 2))
        self.assertAllClose(L2Normalization()(x), [[0.6, 0.8], [0.0, 0.0]])
        self.assertFiniteGradients(lambda t: L2Normalization()(t), x)
