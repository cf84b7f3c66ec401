import warnings

import keras
import numpy as np
import pytest

from kzoo.heads import ArcFace, CosFace, NormFace
from kzoo.models import MarginModel, build_margin_classifier, training_model
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy
from tests.heads.margin_references import arcface_target, scaled_cosine, sparse_ce

pytestmark = pytest.mark.multi_backend

SCALE, MARGIN = 4.0, 0.5


def _backbone(dim=5):
    image = keras.Input((3, 2, 1), name="image")
    x = keras.layers.Flatten()(image)
    return keras.Model(image, keras.layers.Dense(dim, name="proj")(x), name="backbone")


def _model(head_cls=ArcFace, **kwargs):
    keras.utils.set_random_seed(0)
    head = head_cls(4, scale=SCALE, margin=MARGIN, name="head", **kwargs)
    return MarginModel(_backbone(), head, name="mm")


def _data(n=12):
    rng = np.random.default_rng(1)
    return rng.normal(size=(n, 3, 2, 1)).astype("float32"), rng.integers(0, 4, n)


def _features_and_kernel(model, x):
    w = to_numpy(model.head.kernel).astype(np.float64)
    features = to_numpy(model.backbone(x)).astype(np.float64)
    return features, w


class TestMarginModel(TestCase):
    def test_fit_loss_is_the_margin_loss(self):
        x, y = _data()
        model = _model()
        model.compile(optimizer=keras.optimizers.SGD(0.0))
        features, w = _features_and_kernel(model, x)
        margin = sparse_ce(scaled_cosine(features, w, y, SCALE, arcface_target(MARGIN)), y)
        plain = sparse_ce(scaled_cosine(features, w, None, SCALE, None), y)
        history = model.fit(x, y, batch_size=len(x), epochs=1, verbose=0, shuffle=False)
        loss = history.history["loss"][0]
        self.assertAllClose(loss, margin, atol=1e-4)
        assert abs(margin - plain) > 0.1  # the check could tell them apart
        # The metric sees the margin-free logits: what predict scores on the batch.
        plain_acc = np.mean(np.argmax(scaled_cosine(features, w, None, SCALE, None), -1) == y)
        self.assertAllClose(history.history["accuracy"][0], plain_acc, atol=1e-6)

    def test_a_sampled_head_compiles_with_partial_fc_loss(self):
        from kzoo.losses import PartialFCLoss

        x, y = _data()
        y = y % 3  # 3 classes in the batch, the 3 that sample_rate=0.75 of 4 keeps
        model = _model(sample_rate=0.75)
        model.compile(optimizer=keras.optimizers.SGD(0.0))
        assert isinstance(model.loss, PartialFCLoss)
        features, w = _features_and_kernel(model, x)
        kept = scaled_cosine(features, w[:, :3], y, SCALE, arcface_target(MARGIN))
        reference = sparse_ce(kept, y)  # softmax over the kept classes, whatever their order
        history = model.fit(x, y, batch_size=len(x), epochs=1, verbose=0, shuffle=False)
        self.assertAllClose(history.history["loss"][0], reference, atol=1e-4)
        plain = scaled_cosine(features, w, None, SCALE, None)  # the metric: all 4 classes
        self.assertAllClose(history.history["accuracy"][0], np.mean(plain.argmax(-1) == y))
        assert model.predict(x, verbose=0)[1].shape == (len(x), 4)

    def test_predict_and_evaluate_are_margin_free(self):
        x, y = _data()
        model = _model()
        model.compile()
        features, w = _features_and_kernel(model, x)
        reference = scaled_cosine(features, w, None, SCALE, None)
        embedding, logits = model.predict(x, verbose=0)
        self.assertAllClose(logits, reference, atol=1e-4)
        unit = features / np.linalg.norm(features, axis=-1, keepdims=True)
        self.assertAllClose(embedding, unit, atol=1e-5)
        result = model.evaluate(x, y, verbose=0, return_dict=True)
        self.assertAllClose(result["loss"], sparse_ce(reference, y), atol=1e-4)

    def test_fit_trains_backbone_and_head_without_warning(self):
        x, y = _data(48)
        model = _model(CosFace)
        model.compile(optimizer=keras.optimizers.Adam(0.05))
        kernel = to_numpy(model.head.kernel).copy()
        proj = to_numpy(model.backbone.get_layer("proj").kernel).copy()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
        losses = history.history["loss"]
        assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
        assert not np.allclose(to_numpy(model.head.kernel), kernel)
        assert not np.allclose(to_numpy(model.backbone.get_layer("proj").kernel), proj)

    def test_same_step_as_explicit_training_model(self):
        x, y = _data()
        model = _model()
        model.compile(optimizer=keras.optimizers.SGD(0.1))
        twin = _model()
        explicit = training_model(twin)
        explicit.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        model.fit(x, y, batch_size=len(x), epochs=2, verbose=0, shuffle=False)
        explicit.fit([x, y], y, batch_size=len(x), epochs=2, verbose=0, shuffle=False)
        self.assertAllClose(model.head.kernel, twin.head.kernel, atol=1e-5)

    def test_compile_defaults_are_overridable(self):
        model = _model()
        model.compile()
        assert isinstance(model.optimizer, keras.optimizers.Adam)
        model.compile(optimizer="sgd", metrics=[])
        assert isinstance(model.optimizer, keras.optimizers.SGD)

    def test_saving_round_trip(self, tmp_path):
        x, y = _data()
        model = _model()
        model.compile()
        model.fit(x, y, epochs=1, verbose=0)
        path = str(tmp_path / "m.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        assert isinstance(restored, MarginModel)
        self.assertAllClose(restored.predict(x, verbose=0)[1], model.predict(x, verbose=0)[1])
        restored.fit(x, y, epochs=1, verbose=0)  # compiled on load
        self.run_serialization_test(model)

    def test_build_margin_classifier_returns_it(self):
        model = build_margin_classifier(
            3, head="arcface", backbone="conv4", backbone_kwargs={"width": 4}, embedding_dim=4
        )
        assert isinstance(model, MarginModel)
        assert [t.name for t in model.inputs] == ["image"]
        assert model.output_names == ["embedding", "logits"]

    def test_bad_inputs(self):
        with pytest.raises(TypeError, match="backbone"):
            MarginModel("resnet", ArcFace(3))
        with pytest.raises(TypeError, match="head"):
            MarginModel(_backbone(), keras.layers.Dense(3))
        model = _model()
        model.compile()
        x, _ = _data()
        with pytest.raises(ValueError, match="labels"):
            model.fit(x, epochs=1, verbose=0)

    def test_array_labels_are_checked_before_the_backend_converts_them(self):
        # Under JAX without x64, 2**32 + 1 would reach the head as 1: a silent wrong class.
        model = _model()
        model.compile()
        x, y = _data()
        wide = y.astype(np.int64)
        wide[3] = 2**32 + 1
        with pytest.raises(ValueError, match=r"`y` .*class ids within int32"):
            model.fit(x, wide, epochs=1, verbose=0)
        with pytest.raises(ValueError, match=r"`y` .*\[0, num_classes=4\)"):
            model.evaluate(x, np.where(y == 0, 4, y), verbose=0)
        with pytest.raises(ValueError, match=r"`validation_data labels` .*\[0, num_classes=4\)"):
            model.fit(x, y, validation_data=(x, y + 4), epochs=1, verbose=0)
        assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"][0])

    def test_nan_features_give_nan_loss(self):
        x, y = _data()
        x[0] = np.nan
        model = _model()
        model.compile(optimizer=keras.optimizers.SGD(0.0))
        loss = model.fit(x, y, batch_size=len(x), epochs=1, verbose=0).history["loss"][0]
        assert np.isnan(loss)


class TestHeadWithoutLabels:
    def test_warns_once_while_training(self):
        head = ArcFace(3, name="arc")
        emb = np.ones((2, 4), "float32")
        with pytest.warns(UserWarning, match="without labels while training") as record:
            head(emb, training=True)
            head(emb, training=True)
        assert len([r for r in record if "without labels" in str(r.message)]) == 1

    def test_silent_at_inference_and_for_heads_without_margin(self):
        emb = np.ones((2, 4), "float32")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ArcFace(3)(emb, training=False)
            NormFace(3)(emb, training=True)
            ArcFace(3)([emb, np.array([0, 1])], training=True)
