"""Checks shared by every margin head: layer test, edge gradients, label errors, fit."""

import keras
import numpy as np
import pytest

from kzoo import heads
from kzoo.testing import TestCase
from kzoo.testing.test_case import gradients

pytestmark = pytest.mark.multi_backend

HEADS = [
    (heads.LSoftmax, {"num_classes": 4, "margin": 3, "lambda_base": 0.0}),
    (heads.SphereFace, {"num_classes": 4, "margin": 4}),
    (heads.NormFace, {"num_classes": 4, "scale": 8.0, "learnable_scale": True}),
    (heads.L2Softmax, {"num_classes": 4, "alpha": 5.0, "learnable_alpha": True}),
    (heads.CoCo, {"num_classes": 4, "alpha": 6.0}),
    (heads.CosFace, {"num_classes": 4, "scale": 16.0, "margin": 0.35}),
    (heads.ArcFace, {"num_classes": 4, "scale": 16.0, "margin": 0.5}),
    (heads.ArcFace, {"num_classes": 4, "scale": 16.0, "margin": 0.5, "easy_margin": True}),
    (heads.CombinedMargin, {"num_classes": 4, "scale": 16.0, "m1": 2, "m2": 0.3, "m3": 0.1}),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _) in enumerate(HEADS)]


def _data(n=6, d=3, c=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), (np.arange(n) % c).astype("int32")


def weight_gradients(layer, inputs):
    """Gradients of sum(layer(inputs)) w.r.t. the trainable weights, taken in float32 (the
    shared helper cannot convert 0-d bfloat16 TF gradients to NumPy)."""
    trainable = [keras.ops.cast(w.value, "float32") for w in layer.trainable_weights]
    dtypes = [w.dtype for w in layer.trainable_weights]
    non_trainable = [w.value for w in layer.non_trainable_weights]

    def fn(*values):
        values = [keras.ops.cast(v, d) for v, d in zip(values, dtypes, strict=True)]
        outputs, _ = layer.stateless_call(values, non_trainable, inputs)
        return keras.ops.sum(keras.ops.cast(outputs, "float32"))

    return gradients(fn, *trainable)


def _edge_head(cls, kwargs, dtype=None):
    """A head whose class weights are the axes, with inputs at cos θ = 1, -1 and 0-norm."""
    head = cls(**kwargs, dtype=dtype) if dtype else cls(**kwargs)
    head.build((None, 3))
    w = np.array([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, 0]], dtype="float32")
    head.kernel.assign(w.astype(head.kernel.dtype))
    x = np.array(
        [[2, 0, 0], [0, -3, 0], [0, 0, 0], [1, 1, 0], [0, 0, -1], [1e-30, 0, 0]], dtype="float32"
    )
    y = np.array([0, 1, 2, 3, 2, 0], dtype="int32")
    return head, x, y


@pytest.mark.parametrize("cls,kwargs", HEADS, ids=IDS)
class TestEveryHead(TestCase):
    def test_layer(self, cls, kwargs):
        x, y = _data()
        self.run_layer_test(cls, kwargs, [x, y], expected_output_shape=(6, 4))
        self.run_layer_test(
            cls, kwargs, x, expected_output_shape=(6, 4), run_precision_checks=False
        )

    def test_inference_logits_have_no_margin(self, cls, kwargs):
        x, y = _data()
        head = cls(**kwargs)
        head.build((None, x.shape[1]))
        # fixed class weights: with random ones every target cosine can be negative, where the
        # easy-margin ArcFace applies no margin at all
        kernel = np.random.default_rng(1).normal(size=tuple(head.kernel.shape))
        head.kernel.assign(kernel.astype(head.kernel.dtype))
        plain = keras.ops.convert_to_numpy(head(x))
        margined = keras.ops.convert_to_numpy(head([x, y]))
        off_target = np.ones_like(plain, dtype=bool)
        off_target[np.arange(len(y)), y] = False
        self.assertAllClose(margined[off_target], plain[off_target], atol=1e-5)
        if cls not in (heads.NormFace, heads.L2Softmax, heads.CoCo):
            assert np.all(margined[~off_target] <= plain[~off_target] + 1e-5)
            assert np.any(margined[~off_target] < plain[~off_target] - 1e-3)

    @pytest.mark.parametrize("dtype", [None, "float16", "bfloat16", "mixed_float16"])
    def test_finite_gradients_at_edges(self, cls, kwargs, dtype):
        head, x, y = _edge_head(cls, kwargs, dtype)
        if dtype in ("float16", "bfloat16"):
            x = x.astype(dtype)
        y_tensor = keras.ops.convert_to_tensor(y)
        grads = self.assertFiniteGradients(lambda e: head([e, y_tensor]), x)
        self.assertAllFinite(head([x, y]))
        self.assertAllFinite(grads)
        self.assertAllFinite(weight_gradients(head, [x, y]), msg="weight gradient:")
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.assertFiniteGradients(lambda e: loss(y_tensor, head([e, y_tensor])), x)

    def test_label_errors(self, cls, kwargs):
        x, y = _data()
        head = cls(**kwargs)
        with pytest.raises(ValueError, match=r"`labels` must be class ids in \[0, num_classes=4\)"):
            head([x, y + 1])
        with pytest.raises(ValueError, match=r"`labels` must be class ids in"):
            head([x, y - 1])
        with pytest.raises(
            ValueError, match=r"`labels` must have shape \(batch,\) or \(batch, 1\)"
        ):
            head([x, np.zeros((6, 2), "int32")])
        with pytest.raises(ValueError, match="`labels` has 5 entries but `embeddings` has 6 rows"):
            head([x, y[:5]])
        with pytest.raises(TypeError, match="`labels` must be integer class ids"):
            head([x, y > 1])
        with pytest.raises(ValueError, match="`embeddings` must have shape"):
            cls(**kwargs)(np.zeros((2, 3, 4), "float32"))
        with pytest.raises(ValueError, match="got 3 inputs"):
            head([x, y, y])
        self.assertAllClose(head([x, y[:, None]]), head([x, y]))

    def test_out_of_range_labels_in_compiled_graph_give_nan_rows(self, cls, kwargs):
        x, y = _data()
        emb, lab = keras.Input((3,)), keras.Input((), dtype="int32")
        model = keras.Model([emb, lab], cls(**kwargs)([emb, lab]))
        bad = y.copy()
        bad[1] = 7
        if keras.backend.backend() == "torch":  # runs eagerly: the labels are checked instead
            with pytest.raises(ValueError, match="labels"):
                model.predict([x, bad], batch_size=6, verbose=0)
            return
        out = model.predict([x, bad], batch_size=6, verbose=0)
        assert np.all(np.isnan(out[1])) and np.all(np.isfinite(np.delete(out, 1, axis=0)))

    def test_fit_and_saved_model(self, cls, kwargs):
        keras.utils.set_random_seed(1)
        rng = np.random.default_rng(1)
        centers = rng.normal(size=(4, 8)) * 3
        y = rng.integers(0, 4, size=96).astype("int32")
        x = (centers[y] + rng.normal(size=(96, 8))).astype("float32")
        inputs, labels = keras.Input((8,)), keras.Input((), dtype="int32")
        embeddings = keras.layers.Dense(3)(inputs)
        head = cls(**kwargs)
        model = keras.Model([inputs, labels], head([embeddings, labels]))
        model.compile(
            optimizer=keras.optimizers.Adam(0.02),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        history = model.fit([x, y], y, batch_size=32, epochs=16, verbose=0).history["loss"]
        assert np.all(np.isfinite(history)) and history[-1] < history[0], history
        inference = keras.Model(inputs, head(embeddings))
        accuracy = np.mean(np.argmax(inference.predict(x, verbose=0), axis=1) == y)
        assert accuracy > 0.6, accuracy
        self.run_model_saving_test(model, [x, y], atol=1e-4)


class TestGenericPath(TestCase):
    def test_overriding_scale_logits_gives_the_fast_path_logits(self):
        class OverriddenCosFace(heads.CosFace):
            def scale_logits(self, cosine, embeddings, kernel):
                return cosine * self.scale

        x, y = _data()
        fast, generic = heads.CosFace(4, scale=16.0), OverriddenCosFace(4, scale=16.0)
        fast.build((None, 3))
        generic.build((None, 3))
        generic.kernel.assign(fast.kernel)
        assert fast._separable() and not generic._separable()
        self.assertAllClose(generic([x, y]), fast([x, y]), atol=1e-5)
        self.assertAllClose(generic(x), fast(x), atol=1e-5)
