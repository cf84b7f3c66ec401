"""kzoo's TF-Addons losses against a NumPy port of TF-Addons 0.23 (tfa_reference.py)."""

import inspect

import numpy as np
import pytest
from keras import ops

import kzoo.losses as kl
from kzoo.miners.triplet_miners import positive_columns, semihard_negatives, semihard_negatives_of
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy
from tests.losses import tfa_reference as tfa

pytestmark = pytest.mark.multi_backend

METRICS = ["L2", "squared-L2", "angular", "callable"]
MARGINS = [0.0, 0.2, 1.0]


def _matmul_metric(x):
    return ops.matmul(x, ops.transpose(x))


def _np_matmul_metric(x):
    return np.asarray(x, np.float32) @ np.asarray(x, np.float32).T


def _metric(name):
    return (_matmul_metric, _np_matmul_metric) if name == "callable" else (name, name)


def _batch(seed, n=24, dim=6, per_class=3):
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) // per_class)
    return labels.astype("int32"), rng.normal(size=(n, dim)).astype("float32")


def _kzoo(kind, form, margin, metric):
    if kind == "semihard":
        if form == "class":
            return kl.TripletSemiHardLoss(margin=margin, distance_metric=metric)
        return lambda y, e: kl.triplet_semihard_loss(y, e, margin=margin, distance_metric=metric)
    soft = kind == "soft"
    if form == "class":
        return kl.TripletHardLoss(margin=margin, soft=soft, distance_metric=metric)
    return lambda y, e: kl.triplet_hard_loss(y, e, margin=margin, soft=soft, distance_metric=metric)


def _reference(kind, margin, metric):
    if kind == "semihard":
        return lambda y, e: tfa.triplet_semihard_loss(y, e, margin, metric)
    return lambda y, e: tfa.triplet_hard_loss(y, e, margin, kind == "soft", metric)


class TestEveryCombination(TestCase):
    @pytest.mark.parametrize("form", ["class", "function"])
    @pytest.mark.parametrize("kind", ["semihard", "hard", "soft"])
    @pytest.mark.parametrize("margin", MARGINS)
    @pytest.mark.parametrize("metric", METRICS)
    def test_matches_tfa(self, metric, margin, kind, form):
        ours_metric, ref_metric = _metric(metric)
        loss = _kzoo(kind, form, margin, ours_metric)
        reference = _reference(kind, margin, ref_metric)
        for seed, per_class in [(0, 3), (1, 7), (2, 20)]:
            labels, emb = _batch(seed, n=40, per_class=per_class)
            self.assertAllClose(loss(labels, emb), reference(labels, emb), atol=2e-6, rtol=2e-6)

    def test_default_equals_tfa_default(self):
        labels, emb = _batch(5)
        self.assertAllClose(
            kl.TripletSemiHardLoss()(labels, emb), tfa.triplet_semihard_loss(labels, emb), rtol=1e-6
        )
        self.assertAllClose(
            kl.TripletHardLoss()(labels, emb), tfa.triplet_hard_loss(labels, emb), rtol=1e-6
        )

    def test_tfa_docstring_examples(self):
        y, e = np.array([0, 0]), np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
        self.assertAllClose(kl.triplet_semihard_loss(y, e, distance_metric="L2"), 2.4142137)
        self.assertAllClose(kl.triplet_semihard_loss(y, e, distance_metric=_matmul_metric), 1.0)
        self.assertAllClose(kl.triplet_hard_loss(y, e, distance_metric="L2"), 1.0)
        self.assertAllClose(kl.triplet_hard_loss(y, e, distance_metric=_matmul_metric), 0.0)

    def test_contrastive_matches_tfa(self):
        rng = np.random.default_rng(0)
        y, d = rng.integers(0, 2, size=16), rng.random(16).astype("float32") * 2
        for margin in MARGINS:
            self.assertAllClose(
                kl.contrastive_loss(y, d, margin), tfa.contrastive_loss(y, d, margin), rtol=1e-6
            )
            self.assertAllClose(
                kl.ContrastiveLoss(margin)(y, d), np.mean(tfa.contrastive_loss(y, d, margin))
            )

    def test_distance_alias_keyword(self):
        labels, emb = _batch(6)
        self.assertAllClose(
            kl.TripletSemiHardLoss(distance="squared-L2")(labels, emb),
            kl.TripletSemiHardLoss(distance_metric="squared-L2")(labels, emb),
        )


class TestSemiHardBitForBit(TestCase):
    """Same distance matrix in, TF-Addons' semi-hard negatives out, to the last bit."""

    @pytest.mark.parametrize("seed", range(4))
    @pytest.mark.parametrize("per_class", [2, 4, 5, 16])
    def test_gathered_negatives_equal_tfa(self, seed, per_class):
        labels, emb = _batch(seed, n=32, per_class=per_class)
        d = tfa.pairwise_distance(emb)
        if seed % 2:
            d = np.round(d, 1)  # many exact ties
        expected = tfa.semihard_negatives(d, labels)
        columns, valid = positive_columns(ops.convert_to_tensor(labels), per_class)
        got = to_numpy(semihard_negatives_of(ops.convert_to_tensor(d), labels, columns))
        columns, valid = to_numpy(columns), to_numpy(valid)
        rows = np.repeat(np.arange(32)[:, None], per_class, 1)
        np.testing.assert_array_equal(got[valid], expected[rows[valid], columns[valid]])
        positives = (labels[:, None] == labels[None]) & ~np.eye(32, dtype=bool)
        assert valid.sum() == positives.sum()
        assert positives[rows[valid], columns[valid]].all()

    @pytest.mark.parametrize("seed", range(3))
    def test_full_negatives_equal_tfa(self, seed):
        labels, emb = _batch(seed, n=30, per_class=10)
        d = np.round(tfa.pairwise_distance(emb), 1 + seed)
        expected = tfa.semihard_negatives(d, labels)
        got = to_numpy(semihard_negatives(ops.convert_to_tensor(d), ops.convert_to_tensor(labels)))
        positives = (labels[:, None] == labels[None]) & ~np.eye(30, dtype=bool)
        np.testing.assert_array_equal(got[positives], expected[positives])


def _defaults(fn):
    return {
        name: p.default
        for name, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


@pytest.mark.parametrize("name", sorted(tfa.TFA_DEFAULTS))
def test_defaults_equal_tfa(name):
    assert _defaults(getattr(kl, name)) == tfa.TFA_DEFAULTS[name]


@pytest.mark.parametrize("per_class", [3, 10, 20])
def test_compiled_step_takes_the_same_values(per_class):
    """In a compiled step the class sizes are not known: `ops.cond` picks the branch."""
    from kzoo.testing.test_case import backend

    labels, emb = _batch(7, n=40, per_class=per_class)
    loss = kl.TripletSemiHardLoss(margin=0.3)
    if backend() == "jax":
        import jax

        value = jax.jit(lambda y, e: loss(y, e))(labels, emb)
    elif backend() == "tensorflow":
        import tensorflow as tf

        value = tf.function(lambda y, e: loss(y, e), jit_compile=True)(labels, emb)
    else:
        pytest.skip("compiled step only for TF and JAX here")
    expected = tfa.triplet_semihard_loss(labels, emb, 0.3)
    np.testing.assert_allclose(float(ops.convert_to_numpy(value)), expected, rtol=2e-6, atol=2e-6)
