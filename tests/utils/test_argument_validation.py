"""Arguments checked at the door (issue 15 item 4): one message format, the argument named."""

import keras
import numpy as np
import pytest
from keras import ops

import kzoo.heads as heads
import kzoo.losses as kl
from kzoo.layers import NCEMemoryBank
from kzoo.testing import TestCase
from kzoo.testing.test_case import backend
from kzoo.utils import validation as v

pytestmark = pytest.mark.multi_backend

FORMAT = r"`{name}` must be .*\. Received: {name}="


def _match(name):
    return FORMAT.format(name=name)


class TestNumbers:
    @pytest.mark.parametrize(
        "build, name",
        [
            (lambda: heads.CosFace(4, margin=float("nan")), "margin"),
            (lambda: heads.ArcFace(4, scale=float("inf")), "scale"),
            (lambda: heads.LSoftmax(4, lambda_base=float("nan")), "lambda_base"),
            (lambda: heads.SphereFace(4, lambda_min=-1.0), "lambda_min"),
            (lambda: heads.ArcFace(4, margin=4.0), "margin"),
            (lambda: heads.CombinedMargin(4, m3=float("inf")), "m3"),
            (lambda: heads.NormFace(4, scale=0.0), "scale"),
            (lambda: kl.MarginLoss(margin=float("nan")), "margin"),
            (lambda: kl.TripletSemiHardLoss(margin=float("inf")), "margin"),
            (lambda: kl.TripletHardLoss(margin=-0.1), "margin"),
            (lambda: kl.ContrastiveLoss(margin=float("nan")), "margin"),
            (lambda: kl.EmbeddingContrastiveLoss(neg_margin=float("inf")), "neg_margin"),
            (lambda: kl.TRRLoss(alpha=float("nan")), "alpha"),
            (lambda: NCEMemoryBank(10, temperature=float("inf")), "temperature"),
            (lambda: NCEMemoryBank(10, momentum=float("nan")), "momentum"),
        ],
    )
    def test_non_finite_or_out_of_range_refused(self, build, name):
        with pytest.raises(ValueError, match=_match(name)):
            build()

    @pytest.mark.parametrize(
        "build, name",
        [
            (lambda: heads.CosFace(4, margin="0.3"), "margin"),
            (lambda: heads.ArcFace(4, scale=True), "scale"),
            (lambda: kl.TripletHardLoss(soft=1), "soft"),
        ],
    )
    def test_wrong_kind_is_a_type_error(self, build, name):
        with pytest.raises(TypeError, match=_match(name)):
            build()

    def test_numpy_scalars_accepted(self):
        assert heads.ArcFace(4, margin=np.float32(0.5), scale=np.float64(30)).margin == 0.5
        assert heads.LSoftmax(4, margin=np.int64(2)).margin == 2
        assert kl.TripletSemiHardLoss(margin=np.float32(0.25)).margin == 0.25
        assert isinstance(heads.ArcFace(4, margin=np.float32(0.5)).get_config()["margin"], float)

    def test_message_format(self):
        with pytest.raises(ValueError) as info:
            v.check_positive("scale", float("inf"))
        assert str(info.value) == "`scale` must be a finite number > 0. Received: scale=inf"


class TestLabels(TestCase):
    def test_float_label_not_integer_refused(self):
        x = np.ones((2, 3), "float32")
        with pytest.raises(ValueError, match="integer-valued"):
            heads.CosFace(4)([x, np.array([1.7, 0.0], "float32")])
        with pytest.raises(ValueError, match="integer-valued"):
            kl.TripletSemiHardLoss()(np.array([1.7, 1.0], "float32"), x)

    def test_integer_valued_float_labels_accepted(self):
        x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
        y = np.array([0, 0, 1, 1])
        self.assertAllClose(
            kl.TripletSemiHardLoss()(y.astype("float32"), x), kl.TripletSemiHardLoss()(y, x)
        )

    def test_labels_outside_int32_refused(self):
        x = np.ones((2, 3), "float32")
        big = np.array([2**32 + 1, 1], "int64")
        if backend() != "jax":  # JAX (x64 off) truncates int64 inputs to int32 on entry
            with pytest.raises(ValueError, match="int32|num_classes"):
                heads.CosFace(4)([x, big])
        with pytest.raises(ValueError, match="within int32"):
            kl.TripletHardLoss()(big, x)

    def test_contrastive_labels_and_lengths(self):
        with pytest.raises(ValueError, match=_match("y_true")):
            kl.ContrastiveLoss()(np.array([2, 0]), np.array([0.5, 0.1], "float32"))
        with pytest.raises(ValueError, match="one entry per row of `y_pred`"):
            kl.ContrastiveLoss()(np.array([1, 0, 1]), np.array([0.5, 0.1], "float32"))
        with pytest.raises(ValueError, match="one entry per row of `y_pred`"):
            kl.TripletSemiHardLoss()(np.array([1, 0, 1]), np.ones((2, 3), "float32"))

    def test_bad_labels_in_a_compiled_step_give_nan(self):
        x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
        loss = kl.TripletSemiHardLoss()
        bads = [np.array([0, 0, 1, 1.5], "float32")]
        if backend() != "jax":  # JAX (x64 off) truncates int64 arguments of a jitted function
            bads.append(np.array([0, 0, 1, 2**40], "int64"))
        for bad in bads:
            value = _compiled(lambda y, e: loss(y, e))(bad, x)
            assert np.isnan(value), value
        good = _compiled(lambda y, e: loss(y, e))(np.array([0, 0, 1, 1], "float32"), x)
        self.assertAllClose(good, loss(np.array([0, 0, 1, 1]), x))
        contrastive = _compiled(lambda y, d: ops.mean(kl.contrastive_loss(y, d)))
        assert np.isnan(contrastive(np.array([2.0, 0.0], "float32"), np.ones(2, "float32")))


def _compiled(fn):
    """`fn` compiled for the current backend, returning a float."""
    if backend() == "jax":
        import jax

        jitted = jax.jit(fn)
    elif backend() == "tensorflow":
        import tensorflow as tf

        jitted = tf.function(fn)
    else:
        pytest.skip("compiled step only for TF and JAX here")
    return lambda *args: float(ops.convert_to_numpy(jitted(*args)))


class TestNCEMemoryBankIds(TestCase):
    def _layer(self):
        layer = NCEMemoryBank(8, num_negatives=3, mode="softmax", seed=0)
        layer.build([(None, 4), (None,)])
        return layer

    @pytest.mark.parametrize("ids", [[0, 8], [-1, 2], [0.5, 1]])
    def test_eager_ids_checked(self, ids):
        layer = self._layer()
        with pytest.raises(ValueError, match=_match("ids")):
            layer([np.ones((2, 4), "float32"), np.array(ids)], training=True)

    @pytest.mark.parametrize("mode", ["nce", "softmax"])
    def test_compiled_bad_ids_give_nan_and_leave_the_bank(self, mode):
        layer = NCEMemoryBank(8, num_negatives=3, mode=mode, seed=0)
        layer.build([(None, 4), (None,)])
        before = ops.convert_to_numpy(layer.bank).copy()
        emb = np.ones((2, 4), "float32")
        model_in = [keras.Input((4,)), keras.Input((), dtype="int32")]
        model = keras.Model(model_in, layer(model_in))
        if keras.backend.backend() == "torch":  # runs eagerly: the ids are checked instead
            with pytest.raises(ValueError, match="ids"):
                model.predict([emb, np.array([0, 9], "int32")], verbose=0)
            return
        out = model.predict([emb, np.array([0, 9], "int32")], verbose=0)
        assert np.isnan(out).all()
        model.compile(loss=lambda y, p: ops.mean(p))
        model.train_on_batch([emb, np.array([0, 9], "int32")], np.zeros(2))
        np.testing.assert_array_equal(ops.convert_to_numpy(layer.bank), before)


class TestMixedPrecisionHeads(TestCase):
    @pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
    @pytest.mark.parametrize("cls", [heads.LSoftmax, heads.SphereFace])
    def test_large_norms_stay_finite(self, cls, policy):
        original = keras.config.dtype_policy()
        keras.config.set_dtype_policy(policy)
        try:
            head = cls(4, margin=4) if cls is heads.LSoftmax else cls(4)
            x = np.full((3, 8), 3e3, "float32") * np.array([[1], [-1], [0.5]], "float32")
            y = np.array([0, 1, 2])
            head([x, y])
            head.kernel.assign(np.full(head.kernel.shape, 40.0, "float32"))
            logits = head([x, y])
            self.assertAllFinite(ops.cast(logits, "float32"))
            self.assertAllFinite(ops.cast(head(x), "float32"))
        finally:
            keras.config.set_dtype_policy(original)
