"""MultiSimilarityLoss, CircleLoss, SupConLoss and NTXentLoss: NumPy loops, PML parity, edges."""

import keras
import numpy as np
import pytest

from kzoo import losses
from kzoo.testing import TestCase
from tests.losses import pair_references as ref

pytestmark = pytest.mark.multi_backend

CASES = {
    "multi_similarity": (losses.MultiSimilarityLoss, {}, ref.multi_similarity),
    "multi_similarity_mined": (
        losses.MultiSimilarityLoss,
        {"alpha": 1.5, "beta": 20.0, "base": 0.3, "epsilon": 0.1},
        lambda s, p, n: ref.multi_similarity(s, p, n, 1.5, 20.0, 0.3, 0.1),
    ),
    "circle": (losses.CircleLoss, {}, ref.circle),
    "circle_face": (
        losses.CircleLoss,
        {"m": 0.25, "gamma": 256.0},
        lambda s, p, n: ref.circle(s, p, n, 0.25, 256.0),
    ),
    "supcon": (losses.SupConLoss, {}, ref.supcon),
    "ntxent": (losses.NTXentLoss, {}, ref.ntxent),
    "ntxent_warm": (
        losses.NTXentLoss,
        {"temperature": 0.5},
        lambda s, p, n: ref.ntxent(s, p, n, 0.5),
    ),
}
BASE_CASES = ["circle", "multi_similarity", "multi_similarity_mined", "ntxent", "supcon"]
PML = {
    "multi_similarity": ("MultiSimilarityLoss", {}, None),
    "multi_similarity_mined": (
        "MultiSimilarityLoss",
        {"alpha": 1.5, "beta": 20.0, "base": 0.3},
        0.1,
    ),
    "circle": ("CircleLoss", {}, None),
    "circle_face": ("CircleLoss", {"m": 0.25, "gamma": 256.0}, None),
    "supcon": ("SupConLoss", {}, None),
    "ntxent": ("NTXentLoss", {}, None),
    "ntxent_warm": ("NTXentLoss", {"temperature": 0.5}, None),
}


def _batch(seed, n=10, dim=5, classes=3):
    rng = np.random.default_rng(seed)
    return rng.integers(0, classes, size=n), rng.normal(size=(n, dim)).astype("float32")


def _edges():
    e = np.random.default_rng(1).normal(size=(6, 4)).astype("float32")
    dup = e.copy()
    dup[1] = dup[0]
    dup[3] = dup[0]
    return {
        "one_class": (np.zeros(6, "int64"), e),
        "all_distinct": (np.arange(6), e),
        "duplicates": (np.array([0, 0, 1, 1, 2, 2]), dup),
        "zero_vectors": (np.array([0, 0, 1, 1, 2, 2]), np.zeros((6, 4), "float32")),
        "one_pair_each": (np.array([0, 0]), e[:2]),
    }


def _value(x):
    return float(keras.ops.convert_to_numpy(x))


class TestPairLosses(TestCase):
    @pytest.mark.parametrize("case", sorted(CASES))
    @pytest.mark.parametrize("seed", [0, 1])
    def test_matches_loop_reference(self, case, seed):
        cls, kwargs, reference = CASES[case]
        y, x = _batch(seed)
        pos, neg = ref.batch_pairs(y)
        expected = reference(ref.cosine(x, x), pos, neg)
        self.assertAllClose(cls(**kwargs)(y, x), expected, atol=1e-5, rtol=1e-5)

    @pytest.mark.parametrize("case", BASE_CASES)
    @pytest.mark.parametrize("edge", sorted(_edges()))
    def test_edges_match_reference_with_finite_gradients(self, case, edge):
        cls, kwargs, reference = CASES[case]
        y, x = _edges()[edge]
        pos, neg = ref.batch_pairs(y)
        loss = cls(**kwargs)
        self.assertAllClose(loss(y, x), reference(ref.cosine(x, x), pos, neg), atol=1e-4, rtol=1e-5)
        self.assertFiniteGradients(lambda e: loss(y, e), x)

    @pytest.mark.parity
    @pytest.mark.parametrize("case", sorted(PML))
    @pytest.mark.parametrize("seed", [0, 1])
    def test_pml_parity(self, case, seed):
        torch = pytest.importorskip("torch")
        pml_losses = pytest.importorskip("pytorch_metric_learning.losses")
        pml_miners = pytest.importorskip("pytorch_metric_learning.miners")
        name, pml_kwargs, epsilon = PML[case]
        cls, kwargs, _ = CASES[case]
        y, x = _batch(seed, n=24, dim=8, classes=5)
        xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y)
        pml = getattr(pml_losses, name)(**pml_kwargs)
        mined = None if epsilon is None else pml_miners.MultiSimilarityMiner(epsilon)(xt, yt)
        expected = float(pml(xt, yt, mined))
        assert abs(_value(cls(**kwargs)(y, x)) - expected) <= 1e-5 * max(1.0, abs(expected))

    @pytest.mark.parametrize("case", sorted(CASES))
    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_nan_or_inf_in_gives_non_finite_loss(self, case, bad):
        cls, kwargs, _ = CASES[case]
        y, x = _batch(0)
        x[3, 1] = bad
        assert not np.isfinite(_value(cls(**kwargs)(y, x)))

    @pytest.mark.parametrize("case", BASE_CASES)
    def test_serialization_and_jit(self, case):
        cls, kwargs, _ = CASES[case]
        loss = self.run_serialization_test(cls(**kwargs))
        y, x = _batch(4)
        inputs = keras.Input((5,))
        model = keras.Model(inputs, keras.layers.Dense(5)(inputs))
        model.compile("sgd", loss=loss, jit_compile=keras.backend.backend() != "tensorflow")
        history = model.fit(x, y, batch_size=10, epochs=2, verbose=0)
        assert np.all(np.isfinite(history.history["loss"]))

    def test_mining_changes_the_pairs(self):
        y, x = _batch(5, n=16)
        assert _value(losses.MultiSimilarityLoss()(y, x)) != _value(
            losses.MultiSimilarityLoss(epsilon=0.0)(y, x)
        )


class TestBadArguments:
    @pytest.mark.parametrize(
        "cls,kwargs,name",
        [
            (losses.MultiSimilarityLoss, {"alpha": 0.0}, "alpha"),
            (losses.MultiSimilarityLoss, {"beta": -1.0}, "beta"),
            (losses.MultiSimilarityLoss, {"epsilon": -0.1}, "epsilon"),
            (losses.MultiSimilarityLoss, {"base": "0.5"}, "base"),
            (losses.CircleLoss, {"gamma": -1.0}, "gamma"),
            (losses.CircleLoss, {"m": None}, "m"),
            (losses.SupConLoss, {"temperature": 0.0}, "temperature"),
            (losses.NTXentLoss, {"temperature": -0.5}, "temperature"),
        ],
    )
    def test_bad_arguments_name_the_argument(self, cls, kwargs, name):
        with pytest.raises((TypeError, ValueError), match=name):
            cls(**kwargs)

    @pytest.mark.parametrize("cls", [losses.MultiSimilarityLoss, losses.SupConLoss])
    def test_bad_shapes(self, cls):
        with pytest.raises(ValueError, match="y_pred"):
            cls()(np.zeros(4), np.zeros((4, 2, 3), "float32"))
        with pytest.raises(ValueError, match="labels"):
            cls()(np.zeros(3), np.zeros((4, 2), "float32"))


class TestKerasCircle(TestCase):
    def test_same_value_as_keras_circle_on_unit_embeddings_but_other_gradients(self):
        y, x = _batch(6, n=12)
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        self.assertAllClose(losses.CircleLoss()(y, x), keras.losses.Circle()(y, x), atol=1e-4)
        ours = self.assertFiniteGradients(lambda e: losses.CircleLoss()(y, e), x)[0]
        theirs = self.assertFiniteGradients(lambda e: keras.losses.Circle()(y, e), x)[0]
        assert np.abs(ours - theirs).max() > 1e-2
