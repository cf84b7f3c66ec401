import keras
import numpy as np
import pytest

from kzoo.losses import TRRLoss, trr_scores
from kzoo.models import TripletFeatureModel
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy

pytestmark = pytest.mark.multi_backend


def trr_np(d, variant, alpha):
    out = []
    for row in d:
        s = 0.0
        for dap, dan in row:
            sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
            s += sig(dap - dan) if variant == "trr" else sig(dap) - sig(dan)
        out.append(alpha * s)
    return np.mean(out)


def _mlp():
    inp = keras.Input((6,))
    x = keras.layers.Dense(8, activation="relu", name="h0")(inp)
    x = keras.layers.Dropout(0.4)(x)
    x = keras.layers.Dense(8, activation="relu", name="h1")(x)
    return keras.Model(inp, keras.layers.Dense(3, name="logits")(x))


class TestTRRLoss(TestCase):
    @pytest.mark.parametrize("variant", ["trr", "trr_new"])
    def test_matches_reference(self, variant):
        d = np.random.default_rng(0).random((5, 3, 2)).astype("float32") * 3
        self.assertMatchesReference(
            TRRLoss(variant, alpha=0.7)(np.zeros(len(d)), d), lambda d: trr_np(d, variant, 0.7), d
        )

    def test_new_is_lower_bound_and_scores(self):
        d = np.random.default_rng(1).random((5, 3, 2)).astype("float32")
        assert float(TRRLoss("trr_new")(np.zeros(len(d)), d)) < float(
            TRRLoss("trr")(np.zeros(len(d)), d)
        )
        self.assertAllClose(trr_scores(d), (d[..., 1] - d[..., 0]).mean(0), atol=1e-6)

    def test_finite_gradients_large_distances(self):
        d = np.array([[[0.0, 0.0], [1e6, 1e6]], [[0.0, 1e4], [5.0, 0.0]]], "float32")
        for v in ("trr", "trr_new"):
            self.assertFiniteGradients(lambda x, v=v: TRRLoss(v)(np.zeros(len(x)), x), d)

    def test_bad_inputs_and_serialization(self):
        with pytest.raises(ValueError, match="variant"):
            TRRLoss("trr2")
        with pytest.raises(ValueError, match="alpha"):
            TRRLoss(alpha=-1.0)
        with pytest.raises(ValueError, match="y_pred"):
            TRRLoss()(np.zeros(4), np.zeros((4, 3), "float32"))
        self.run_serialization_test(TRRLoss("trr", alpha=0.5))


class TestTripletFeatureModel(TestCase):
    def _data(self, n=48):
        rng = np.random.default_rng(0)
        y = rng.integers(0, 3, n)
        x = (rng.normal(size=(n, 6)) + y[:, None]).astype("float32")
        return x, y

    def test_outputs_match_manual_features(self):
        x, _ = self._data()
        enc = _mlp()
        model = TripletFeatureModel(enc, ["h0", "h1"])
        out = model({"anchor": x[:4], "positive": x[4:8], "negative": x[8:12]})
        feats = keras.Model(enc.inputs, [enc.get_layer("h0").output, enc.get_layer("h1").output])
        fa, fp, fn = (to_numpy(feats(v)) for v in (x[:4], x[4:8], x[8:12]))
        expected = np.stack(
            [
                [
                    [np.sum((fa[i][b] - fp[i][b]) ** 2), np.sum((fa[i][b] - fn[i][b]) ** 2)]
                    for i in range(2)
                ]
                for b in range(4)
            ]
        )
        self.assertAllClose(out["trr"], expected, atol=1e-4, rtol=1e-4)
        self.assertAllClose(out["logits"], enc(x[:4]), atol=1e-5)

    def test_fit_with_trr_and_save(self, tmp_path):
        from kzoo.datasets import SampledDataset, TripletSampler

        x, y = self._data()
        keras.utils.set_random_seed(0)
        model = TripletFeatureModel(_mlp(), ["h0", "h1"])
        model.compile(
            optimizer=keras.optimizers.Adam(0.01),
            loss={
                "logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                "trr": TRRLoss("trr_new"),
            },
        )
        ds = SampledDataset(x, y, TripletSampler(y, batch_size=16, seed=0))
        batches = [ds[i] for i in range(len(ds))]
        xs = {
            k: np.concatenate([b[0][k] for b in batches])
            for k in ("anchor", "positive", "negative")
        }
        ys = np.concatenate([b[1] for b in batches])
        hist = model.fit(xs, {"logits": ys, "trr": ys}, batch_size=16, epochs=4, verbose=0)
        assert np.all(np.isfinite(hist.history["loss"]))
        assert hist.history["loss"][-1] < hist.history["loss"][0]
        scores = to_numpy(model.trr_scores(xs))
        assert scores.shape == (2,) and np.all(np.isfinite(scores))
        path = str(tmp_path / "trr.keras")
        model.save(path)
        restored = keras.saving.load_model(path)
        self.assertAllClose(restored(xs)["trr"], model(xs)["trr"], atol=1e-5)

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="feature_layers"):
            TripletFeatureModel(_mlp(), ["nope"])
        with pytest.raises(TypeError, match="encoder"):
            TripletFeatureModel("mlp", ["h0"])
        with pytest.raises(ValueError, match="anchor"):
            TripletFeatureModel(_mlp(), ["h0"])(np.zeros((2, 6), "float32"))
