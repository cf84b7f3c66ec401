import numpy as np
import pytest
from keras import ops

from kzoo.miners import (
    DistanceWeightedMiner,
    hardest_negatives,
    hardest_pair_masks,
    hardest_positives,
    semihard_negatives,
    triplet_margin_mask,
)
from kzoo.ops import pairwise_distances
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy
from tests.losses.references import dw_weights_np, pairwise_distance_np

pytestmark = pytest.mark.multi_backend


def _batch(seed, n=12, dim=5, classes=3):
    rng = np.random.default_rng(seed)
    return rng.integers(0, classes, n), rng.normal(size=(n, dim)).astype("float32")


def semihard_np(d, y):
    n = len(y)
    out = np.zeros((n, n))
    for a in range(n):
        negs = sorted(d[a, k] for k in range(n) if y[k] != y[a])
        for p in range(n):
            bigger = [v for v in negs if v > d[a, p]]
            out[a, p] = bigger[0] if bigger else (negs[-1] if negs else min(d[a]))
    return out


class TestTripletMiners(TestCase):
    @pytest.mark.parametrize("seed", range(4))
    def test_semihard_negatives_match_loops(self, seed):
        y, e = _batch(seed, n=17)
        d = pairwise_distance_np(e.astype("float64"), squared=True).astype("float32")
        self.assertMatchesReference(
            semihard_negatives(ops.convert_to_tensor(d), y), semihard_np, d, y
        )

    def test_semihard_with_ties_and_dynamic_sizes(self):
        d = np.array(
            [[0, 1, 1, 1, 2], [1, 0, 1, 3, 1], [1, 1, 0, 1, 1], [1, 3, 1, 0, 1], [2, 1, 1, 1, 0]],
            "float32",
        )
        y = np.array([0, 0, 1, 1, 2])
        self.assertAllClose(semihard_negatives(ops.convert_to_tensor(d), y), semihard_np(d, y))

    def test_hardest(self):
        y, e = _batch(1)
        d = to_numpy(pairwise_distances(e, "l2"))
        hp, hn = to_numpy(hardest_positives(d, y))[:, 0], to_numpy(hardest_negatives(d, y))[:, 0]
        for a in range(len(y)):
            pos = [d[a, j] for j in range(len(y)) if y[j] == y[a] and j != a]
            assert hp[a] == pytest.approx(max(pos) if pos else 0.0, abs=1e-6)
            assert hn[a] == pytest.approx(
                min(d[a, j] for j in range(len(y)) if y[j] != y[a]), abs=1e-6
            )
        pos_mask, neg_mask = (to_numpy(m) for m in hardest_pair_masks(d, y))
        assert pos_mask.sum(1).max() <= 1 and neg_mask.sum(1).min() == 1

    @pytest.mark.parity
    @pytest.mark.parametrize("kind", ["all", "hard", "semihard", "easy"])
    def test_triplet_margin_mask_matches_pml(self, kind):
        torch = pytest.importorskip("torch")
        miners = pytest.importorskip("pytorch_metric_learning.miners")
        distances = pytest.importorskip("pytorch_metric_learning.distances")
        y, e = _batch(2, n=16)
        miner = miners.TripletMarginMiner(
            margin=0.3,
            type_of_triplets=kind,
            distance=distances.LpDistance(normalize_embeddings=False),
        )
        a, p, n = (t.numpy() for t in miner(torch.tensor(e), torch.tensor(y)))
        expected = np.zeros((16, 16, 16), bool)
        expected[a, p, n] = True
        mask = to_numpy(triplet_margin_mask(pairwise_distances(e, "l2"), y, 0.3, kind))
        differ = np.argwhere(mask != expected)
        if len(differ):  # only float ties at the threshold may differ
            d = pairwise_distance_np(e.astype("float64"))
            m = np.array([d[i, k] - d[i, j] for i, j, k in differ])
            assert np.all(np.minimum(np.abs(m), np.abs(m - 0.3)) < 1e-5), m
        with pytest.raises(ValueError, match="type_of_triplets"):
            triplet_margin_mask(pairwise_distances(e), y, 0.3, "semi")


class TestDistanceWeightedMiner(TestCase):
    @pytest.mark.parametrize("dim", [3, 16, 128])
    def test_weights_match_reference(self, dim):
        y, e = _batch(3, n=20, dim=dim)
        w = DistanceWeightedMiner(0.5, 1.4).weights(e, y)
        self.assertMatchesReference(w, lambda e, y: dw_weights_np(e, y, 0.5, 1.4), e, y, atol=1e-5)

    @pytest.mark.parity
    def test_sampling_distribution_matches_pml(self):
        torch = pytest.importorskip("torch")
        miners = pytest.importorskip("pytorch_metric_learning.miners")
        y, e = _batch(4, n=12, dim=6)
        torch.manual_seed(0)
        counts = np.zeros((12, 12))
        pml = miners.DistanceWeightedMiner(cutoff=0.5, nonzero_loss_cutoff=1.4)
        te, tl = torch.tensor(e), torch.tensor(y)
        for _ in range(300):
            a, _, n = pml(te, tl)
            np.add.at(counts, (a.numpy(), n.numpy()), 1)
        empirical = counts / np.maximum(counts.sum(1, keepdims=True), 1)
        ours = to_numpy(DistanceWeightedMiner(0.5, 1.4).weights(e, y))
        rows = counts.sum(1) > 0
        np.testing.assert_allclose(empirical[rows], ours[rows], atol=0.05)
        assert np.all(ours[~rows] == 0)

    def test_sample_draws_valid_triplets(self):
        import keras

        y, e = _batch(5, n=24)
        a, p, n, valid = (
            to_numpy(t)
            for t in DistanceWeightedMiner().sample(e, y, seed=keras.random.SeedGenerator(1))
        )
        v = valid.astype(bool)
        assert v.any()
        assert np.all(y[a[v]] == y[p[v]]) and np.all(a[v] != p[v]) and np.all(y[a[v]] != y[n[v]])

    def test_zero_and_duplicate_vectors_finite(self):
        e = np.zeros((6, 4), "float32")
        e[0] = 1.0
        w = to_numpy(DistanceWeightedMiner().weights(e, np.array([0, 0, 1, 1, 2, 2])))
        assert np.all(np.isfinite(w)) and np.all((np.abs(w.sum(1) - 1) < 1e-5) | (w.sum(1) == 0))

    def test_bad_input_and_config(self):
        with pytest.raises(ValueError, match="nonzero_loss_cutoff"):
            DistanceWeightedMiner(0.5, 3.0)
        with pytest.raises(ValueError, match="embeddings"):
            DistanceWeightedMiner().weights(np.zeros((2, 2, 2), "float32"), np.zeros(2))
        m = DistanceWeightedMiner(0.4, 1.3)
        assert DistanceWeightedMiner.from_config(m.get_config()).get_config() == m.get_config()
