import json

import keras
import numpy as np
import pytest
from keras import ops

from kzoo.losses import TripletBatchAllLoss, TripletHardLoss, TripletSemiHardLoss
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy
from tests.losses.references import (
    triplet_batch_all_np,
    triplet_hard_loss_np,
    triplet_semihard_loss_np,
)

pytestmark = pytest.mark.multi_backend


def _batch(seed, n=10, dim=6, classes=4):
    rng = np.random.default_rng(seed)
    return rng.integers(0, classes, size=n), rng.random((n, dim)).astype("float32")


def _edge_batches():
    rng = np.random.default_rng(3)
    e = rng.normal(size=(6, 4)).astype("float32")
    dup = e.copy()
    dup[1] = dup[0]
    dup[4] = dup[0]
    return {
        "one_class": (np.zeros(6, "int64"), e),
        "no_positives": (np.arange(6), e),
        "duplicates": (np.array([0, 0, 1, 1, 0, 2]), dup),
        "zero_vectors": (np.array([0, 0, 1, 1, 2, 2]), np.zeros((6, 4), "float32")),
    }


class TestTripletSemiHardLoss(TestCase):
    @pytest.mark.parametrize("seed", range(5))
    @pytest.mark.parametrize("distance", ["squared_l2", "l2", "angular"])
    def test_matches_tfa_reference(self, seed, distance):
        labels, emb = _batch(seed)
        loss = TripletSemiHardLoss(margin=1.0, distance_metric=distance)(labels, emb)
        self.assertMatchesReference(
            loss, lambda y, e: triplet_semihard_loss_np(y, e, 1.0, distance), labels, emb
        )

    def test_larger_batch_and_margin(self):
        labels, emb = _batch(11, n=40, dim=8, classes=6)
        loss = TripletSemiHardLoss(margin=0.3)(labels, emb)
        self.assertMatchesReference(
            loss, lambda y, e: triplet_semihard_loss_np(y, e, 0.3), labels, emb
        )

    def test_exact_ties_are_not_semihard(self):
        # d(a,p) == d(a,n) exactly: the semi-hard negative must be strictly farther.
        emb = np.array([[0, 0], [1, 0], [0, 1], [0, 2]], "float32")
        labels = np.array([0, 0, 1, 1])
        loss = TripletSemiHardLoss(margin=1.0)(labels, emb)
        self.assertMatchesReference(
            loss, lambda y, e: triplet_semihard_loss_np(y, e, 1.0), labels, emb
        )

    @pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
    def test_low_precision_inputs(self, dtype):
        labels, emb = _batch(1)
        loss = TripletSemiHardLoss()(labels, ops.cast(emb, dtype))
        reference = triplet_semihard_loss_np(
            labels, to_numpy(ops.cast(ops.cast(emb, dtype), "float32")).astype("float64"), 1.0
        )
        self.assertAllClose(loss, reference, atol=1e-4, rtol=1e-4)

    def test_tfa_tutorial_semantics_one_class_batch(self):
        # TF-Addons' code: no negatives -> "largest negative" is the row minimum (0).
        labels, emb = np.zeros(4, "int64"), np.eye(4, dtype="float32")
        self.assertAllClose(TripletSemiHardLoss(margin=1.0)(labels, emb), 1.0 + np.sqrt(2.0))

    def test_no_positives_is_zero_not_nan(self):
        labels, emb = np.arange(5), np.eye(5, dtype="float32")
        self.assertAllClose(TripletSemiHardLoss()(labels, emb), 0.0)

    def test_accepts_column_labels(self):
        labels, emb = _batch(2)
        self.assertAllClose(
            TripletSemiHardLoss()(labels[:, None], emb), TripletSemiHardLoss()(labels, emb)
        )


class TestTripletHardLoss(TestCase):
    @pytest.mark.parametrize("seed", range(3))
    @pytest.mark.parametrize("soft", [False, True])
    @pytest.mark.parametrize("distance", ["squared_l2", "l2", "angular"])
    def test_matches_tfa_reference(self, seed, soft, distance):
        labels, emb = _batch(seed, n=20)
        loss = TripletHardLoss(margin=1.0, soft=soft, distance_metric=distance)(labels, emb)
        self.assertMatchesReference(
            loss, lambda y, e: triplet_hard_loss_np(y, e, 1.0, soft, distance), labels, emb
        )


class TestTripletBatchAllLoss(TestCase):
    @pytest.mark.parametrize("miner", [None, "semihard", "hard"])
    def test_matches_reference(self, miner):
        labels, emb = _batch(4, n=12)
        emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        loss = TripletBatchAllLoss(margin=0.1, miner=miner, miner_margin=0.3)(labels, emb)
        self.assertMatchesReference(
            loss, lambda y, e: triplet_batch_all_np(y, e, 0.1, "l2", miner, 0.3), labels, emb
        )

    @pytest.mark.parity
    @pytest.mark.parametrize("miner", [None, "semihard", "hard", "all"])
    def test_pml_parity(self, miner):
        torch = pytest.importorskip("torch")
        pml_losses = pytest.importorskip("pytorch_metric_learning.losses")
        pml_miners = pytest.importorskip("pytorch_metric_learning.miners")
        labels, emb = _batch(7, n=32, dim=8, classes=5)
        te, tl = torch.tensor(emb), torch.tensor(labels)
        pml = pml_losses.TripletMarginLoss(margin=0.1)
        tuples = (
            None
            if miner is None
            else pml_miners.TripletMarginMiner(margin=0.3, type_of_triplets=miner)(te, tl)
        )
        expected = float(pml(te, tl, tuples))
        emb_n = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        ours = TripletBatchAllLoss(margin=0.1, miner=miner, miner_margin=0.3)(labels, emb_n)
        self.assertAllClose(ours, expected, atol=1e-5, rtol=1e-5)


LOSSES = [
    TripletSemiHardLoss(),
    TripletSemiHardLoss(distance_metric="squared-L2"),
    TripletSemiHardLoss(distance_metric="angular"),
    TripletHardLoss(),
    TripletHardLoss(soft=True, distance_metric="squared-L2"),
    TripletBatchAllLoss(),
    TripletBatchAllLoss(miner="semihard", distance="angular"),
]


class TestTripletEdges(TestCase):
    @pytest.mark.parametrize("case", list(_edge_batches()))
    @pytest.mark.parametrize("loss", LOSSES, ids=lambda x: f"{type(x).__name__}-{x.distance}")
    def test_finite_value_and_gradient(self, case, loss):
        labels, emb = _edge_batches()[case]
        self.assertAllFinite(loss(labels, emb))
        self.assertFiniteGradients(lambda e: loss(labels, e), emb)

    @pytest.mark.parametrize("loss", LOSSES, ids=lambda x: type(x).__name__)
    def test_serialization(self, loss):
        revived = self.run_serialization_test(loss)
        labels, emb = _batch(0)
        self.assertAllClose(revived(labels, emb), loss(labels, emb))

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="distance"):
            TripletSemiHardLoss(distance_metric="L_7")
        with pytest.raises(TypeError, match="margin"):
            TripletHardLoss(margin="1")
        with pytest.raises(TypeError, match="soft"):
            TripletHardLoss(soft=1)
        with pytest.raises(ValueError, match="miner"):
            TripletBatchAllLoss(miner="hardest")
        with pytest.raises(ValueError, match="y_pred"):
            TripletSemiHardLoss()(np.zeros(4), np.zeros((4, 2, 2), "float32"))
        with pytest.raises(ValueError, match="y_true"):
            TripletSemiHardLoss()(np.zeros((4, 3)), np.zeros((4, 2), "float32"))

    def test_distance_spellings(self):
        labels, emb = _batch(5)
        self.assertAllClose(
            TripletSemiHardLoss(distance_metric="squared-L2")(labels, emb),
            TripletSemiHardLoss(distance_metric="squared_l2")(labels, emb),
        )
        with pytest.raises(ValueError, match="distance_metric"):
            TripletSemiHardLoss(distance_metric="L_2")

    def test_model_fit_decreases_loss(self):
        rng = np.random.default_rng(0)
        labels = np.repeat(np.arange(4), 16)
        x = (rng.normal(size=(64, 8)) + labels[:, None]).astype("float32")
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(4), keras.layers.UnitNormalization()]
        )
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss=TripletSemiHardLoss(margin=0.5))
        history = model.fit(x, labels, batch_size=64, epochs=15, verbose=0, shuffle=False)
        losses = history.history["loss"]
        assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses

    def test_keras_file_round_trip_with_compiled_loss(self, tmp_path):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        loss = TripletSemiHardLoss(margin=0.7, distance_metric="angular")
        model.compile(optimizer="adam", loss=loss)
        path = str(tmp_path / "m.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        config = restored.loss.get_config()
        assert config["margin"] == 0.7, json.dumps(config)
        assert config["distance_metric"] == "angular", json.dumps(config)
