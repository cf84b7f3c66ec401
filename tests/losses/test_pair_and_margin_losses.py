import keras
import numpy as np
import pytest

from kzoo.losses import ContrastiveLoss, EmbeddingContrastiveLoss, MarginBeta, MarginLoss
from kzoo.miners import DistanceWeightedMiner
from kzoo.testing import TestCase
from tests.losses.references import contrastive_embedding_np, margin_loss_np

pytestmark = pytest.mark.multi_backend

Y = np.array([0, 0, 1, 1, 0, 1])
D = np.array([0.1, 0.3, 1.3, 0.7, 1.1, 0.5], "float32")


def _unit_batch(seed, n=12, dim=8, classes=3):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(n, dim)).astype("float32")
    return rng.integers(0, classes, size=n), e / np.linalg.norm(e, axis=1, keepdims=True)


def _edges():
    e = np.random.default_rng(1).normal(size=(6, 4)).astype("float32")
    dup = e.copy()
    dup[1] = dup[0]
    dup[3] = dup[0]
    return {
        "one_class": (np.zeros(6, "int64"), e),
        "no_positives": (np.arange(6), e),
        "duplicates": (np.array([0, 0, 1, 1, 2, 2]), dup),
        "zero_vectors": (np.array([0, 0, 1, 1, 2, 2]), np.zeros((6, 4), "float32")),
    }


class TestContrastiveLoss(TestCase):
    """NumPy ports of TF-Addons' contrastive_test.py."""

    def test_zero_loss(self):
        self.assertAllClose(ContrastiveLoss()(Y, np.array([1, 1, 0, 0, 1, 0], "float32")), 0.0)

    def test_unweighted(self):
        self.assertAllClose(ContrastiveLoss()(Y, D), 0.621666, atol=1e-6, rtol=1e-6)

    def test_sample_weighted(self):
        w = np.array([1.2, 0.8, 0.5, 0.4, 1.5, 1.0], "float32")
        self.assertAllClose(ContrastiveLoss()(Y, D, sample_weight=w), 0.4425, atol=1e-6, rtol=1e-6)

    def test_non_default_margin(self):
        self.assertAllClose(ContrastiveLoss(margin=2.0)(Y, D), 1.623333, atol=1e-6, rtol=1e-6)

    def test_reductions(self):
        self.assertAllClose(ContrastiveLoss(reduction="sum")(Y, D), 3.73, atol=1e-5, rtol=1e-5)
        self.assertAllClose(
            ContrastiveLoss(reduction=None)(Y, D),
            [0.81, 0.49, 1.69, 0.49, 0.0, 0.25],
            atol=1e-5,
            rtol=1e-5,
        )

    def test_matches_loop_reference(self):
        rng = np.random.default_rng(0)
        y, d = rng.integers(0, 2, 20), rng.random(20).astype("float32") * 2

        def ref(y, d):
            return np.mean(
                [y[i] * d[i] ** 2 + (1 - y[i]) * max(0.8 - d[i], 0) ** 2 for i in range(len(y))]
            )

        self.assertMatchesReference(ContrastiveLoss(margin=0.8)(y, d), ref, y, d)

    def test_bad_input_and_serialization(self):
        with pytest.raises(ValueError, match="y_pred"):
            ContrastiveLoss()(Y, np.zeros((6, 3), "float32"))
        with pytest.raises(TypeError, match="margin"):
            ContrastiveLoss(margin=None)
        self.run_serialization_test(ContrastiveLoss(margin=0.5, name="cl", reduction="sum"))
        self.assertFiniteGradients(lambda d: ContrastiveLoss()(Y, d), np.zeros(6, "float32"))


class TestEmbeddingContrastiveLoss(TestCase):
    @pytest.mark.parametrize("distance", ["l2", "squared_l2", "angular"])
    def test_matches_reference(self, distance):
        y, e = _unit_batch(0)
        loss = EmbeddingContrastiveLoss(0.1, 0.9, distance=distance)(y, e)
        self.assertMatchesReference(
            loss, lambda y, e: contrastive_embedding_np(y, e, 0.1, 0.9, distance), y, e
        )

    @pytest.mark.parity
    def test_pml_parity(self):
        torch = pytest.importorskip("torch")
        pml = pytest.importorskip("pytorch_metric_learning.losses")
        y, e = _unit_batch(2, n=24)
        expected = float(
            pml.ContrastiveLoss(pos_margin=0.2, neg_margin=0.8)(torch.tensor(e), torch.tensor(y))
        )
        self.assertAllClose(
            EmbeddingContrastiveLoss(0.2, 0.8)(y, e), expected, atol=1e-5, rtol=1e-5
        )

    def test_hardest_miner_uses_fewer_pairs(self):
        y, e = _unit_batch(3)
        full, hard = (
            EmbeddingContrastiveLoss()(y, e),
            EmbeddingContrastiveLoss(miner="hardest")(y, e),
        )
        assert float(hard) >= float(full) - 1e-6
        with pytest.raises(ValueError, match="miner"):
            EmbeddingContrastiveLoss(miner="semihard")


class TestMarginLoss(TestCase):
    def test_matches_reference_fixed_beta(self):
        y, e = _unit_batch(4)
        loss = MarginLoss(margin=0.2, beta=1.0)(y, e)
        self.assertMatchesReference(
            loss, lambda y, e: margin_loss_np(y, e, 0.2, np.full(len(y), 1.0)), y, e
        )

    def test_matches_reference_learned_beta_with_nu(self):
        y, e = _unit_batch(5)
        beta = np.linspace(0.8, 1.3, len(y)).astype("float32")
        loss = MarginLoss(margin=0.2, nu=0.1, learn_beta=True)(
            y, np.concatenate([e, beta[:, None]], 1)
        )
        self.assertMatchesReference(
            loss, lambda y, e, b: margin_loss_np(y, e, 0.2, b, nu=0.1), y, e, beta
        )

    @pytest.mark.parity
    def test_pml_parity(self):
        torch = pytest.importorskip("torch")
        pml = pytest.importorskip("pytorch_metric_learning.losses")
        y, e = _unit_batch(6, n=20)
        expected = float(pml.MarginLoss(margin=0.2, beta=1.1)(torch.tensor(e), torch.tensor(y)))
        self.assertAllClose(MarginLoss(margin=0.2, beta=1.1)(y, e), expected, atol=1e-5, rtol=1e-5)
        per_class = pml.MarginLoss(margin=0.2, nu=0.05, beta=1.1, learn_beta=True, num_classes=3)
        with torch.no_grad():
            per_class.beta.copy_(torch.tensor([1.0, 1.1, 1.25]))
        expected = float(per_class(torch.tensor(e), torch.tensor(y)))
        beta = np.array([1.0, 1.1, 1.25], "float32")[y][:, None]
        ours = MarginLoss(margin=0.2, nu=0.05, learn_beta=True)(y, np.concatenate([e, beta], 1))
        self.assertAllClose(ours, expected, atol=1e-5, rtol=1e-5)

    def test_distance_weighted_is_expectation_of_sampled_triplets(self):
        y, e = _unit_batch(7, n=16, dim=4)
        miner = DistanceWeightedMiner(0.5, 1.4)
        w = np.asarray(keras.ops.convert_to_numpy(miner.weights(e, y)), "float64")
        d = np.linalg.norm(e[:, None] - e[None], axis=-1)
        total = count = 0.0
        for a in range(len(y)):
            if w[a].sum() == 0:
                continue
            for p in range(len(y)):
                if p == a or y[p] != y[a]:
                    continue
                lp = max(d[a, p] - 1.2 + 0.2, 0)
                total += lp + sum(w[a, n] * max(1.2 - d[a, n] + 0.2, 0) for n in range(len(y)))
                count += int(lp > 0) + sum(
                    w[a, n] * (1.2 - d[a, n] + 0.2 > 0) for n in range(len(y))
                )
        self.assertAllClose(
            MarginLoss(sampling="distance_weighted")(y, e), total / count, atol=1e-5, rtol=1e-5
        )

    def test_learnable_beta_trains_with_fit(self):
        rng = np.random.default_rng(0)
        labels = np.repeat(np.arange(3), 8)
        x = (rng.normal(size=(24, 5)) + labels[:, None]).astype("float32")
        inp, lab = keras.Input((5,)), keras.Input((), dtype="int32")
        emb = keras.layers.UnitNormalization()(keras.layers.Dense(4)(inp))
        beta_layer = MarginBeta(beta=1.2, num_classes=3)
        out = keras.layers.Concatenate()([emb, beta_layer(lab)])
        model = keras.Model([inp, lab], out)
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss=MarginLoss(nu=0.1, learn_beta=True))
        model.fit([x, labels], labels, batch_size=24, epochs=3, verbose=0)
        assert float(keras.ops.convert_to_numpy(beta_layer.beta_global)) != pytest.approx(1.2)
        self.run_serialization_test(beta_layer)

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="sampling"):
            MarginLoss(sampling="uniform")
        with pytest.raises(ValueError, match="nu"):
            MarginLoss(nu=-1.0)
        with pytest.raises(ValueError, match="num_classes"):
            MarginBeta(num_classes=0)
        with pytest.raises(ValueError, match="cutoff"):
            DistanceWeightedMiner(cutoff=1.5, nonzero_loss_cutoff=1.4)


PAIR_LOSSES = [
    EmbeddingContrastiveLoss(),
    EmbeddingContrastiveLoss(miner="hardest"),
    MarginLoss(),
    MarginLoss(sampling="distance_weighted"),
]


@pytest.mark.parametrize("case", list(_edges()))
@pytest.mark.parametrize("loss", PAIR_LOSSES, ids=lambda x: f"{type(x).__name__}")
def test_edges_finite(case, loss):
    y, e = _edges()[case]
    tc = TestCase()
    tc.assertAllFinite(loss(y, e))
    tc.assertFiniteGradients(lambda v: loss(y, v), e)


@pytest.mark.parametrize("loss", PAIR_LOSSES, ids=lambda x: type(x).__name__)
def test_serialization(loss):
    TestCase().run_serialization_test(loss)
