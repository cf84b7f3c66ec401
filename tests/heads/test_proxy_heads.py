"""ProxyNCA, ProxyAnchor (+ProxyAnchorLoss), SoftTriple, SubCenterArcFace: loops, PML parity."""

import keras
import numpy as np
import pytest
from proxy_references import (
    proxy_anchor_loss,
    proxy_nca,
    soft_triple,
    sparse_ce,
    sub_center_arcface,
)

from kzoo import heads, losses
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend

N, D, C = 12, 5, 4
HEADS = {
    "proxy_nca": (heads.ProxyNCA, {"num_classes": C, "softmax_scale": 3.0}),
    "proxy_anchor": (heads.ProxyAnchor, {"num_classes": C}),
    "soft_triple": (heads.SoftTriple, {"num_classes": C, "centers_per_class": 3}),
    "sub_center_arcface": (
        heads.SubCenterArcFace,
        {"num_classes": C, "sub_centers": 3, "scale": 16.0},
    ),
}
CE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _data(seed=0, n=N):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, D)).astype("float32"), rng.integers(0, C, size=n).astype("int32")


def _head(name, seed=0):
    cls, kwargs = HEADS[name]
    head = cls(**kwargs)
    head.build((None, D))
    rng = np.random.default_rng(100 + seed)
    head.kernel.assign(rng.normal(size=tuple(head.kernel.shape)).astype("float32"))
    return head, np.asarray(keras.ops.convert_to_numpy(head.kernel), np.float64)


def _value(x):
    return float(keras.ops.convert_to_numpy(x))


class TestReferences(TestCase):
    @pytest.mark.parametrize("seed", [0, 1])
    def test_proxy_nca(self, seed):
        head, w = _head("proxy_nca", seed)
        x, y = _data(seed)
        self.assertAllClose(head([x, y]), proxy_nca(x, w, 3.0), atol=1e-5, rtol=1e-5)
        self.assertAllClose(head(x), proxy_nca(x, w, 3.0), atol=1e-5, rtol=1e-5)

    @pytest.mark.parametrize("seed", [0, 1])
    def test_soft_triple(self, seed):
        head, w = _head("soft_triple", seed)
        x, y = _data(seed)
        args = (C, 3, 20.0, 0.1, 0.01)
        self.assertAllClose(head([x, y]), soft_triple(x, w, y, *args), atol=1e-4, rtol=1e-5)
        self.assertAllClose(head(x), soft_triple(x, w, None, *args), atol=1e-4, rtol=1e-5)

    @pytest.mark.parametrize("seed", [0, 1])
    def test_sub_center_arcface(self, seed):
        head, w = _head("sub_center_arcface", seed)
        x, y = _data(seed)
        args = (C, 3, 0.5, 16.0)
        self.assertAllClose(head([x, y]), sub_center_arcface(x, w, y, *args), atol=1e-4, rtol=1e-5)
        self.assertAllClose(head(x), sub_center_arcface(x, w, None, *args), atol=1e-4, rtol=1e-5)

    @pytest.mark.parametrize("seed", [0, 1])
    @pytest.mark.parametrize("margin,alpha", [(0.1, 32.0), (0.2, 8.0)])
    def test_proxy_anchor(self, seed, margin, alpha):
        head, w = _head("proxy_anchor", seed)
        x, y = _data(seed)
        sims = np.array(
            [
                [float(np.dot(a, b)) for b in w / np.linalg.norm(w, axis=1, keepdims=True)]
                for a in x / np.linalg.norm(x, axis=1, keepdims=True)
            ]
        )
        self.assertAllClose(head([x, y]), sims, atol=1e-5, rtol=1e-5)
        loss = losses.ProxyAnchorLoss(margin=margin, alpha=alpha)(y, head(x))
        self.assertAllClose(loss, proxy_anchor_loss(sims, y, margin, alpha), atol=1e-4, rtol=1e-5)

    def test_proxy_anchor_loss_without_positive_proxies_in_batch(self):
        sims = np.random.default_rng(0).uniform(-1, 1, size=(3, 5)).astype("float32")
        y = np.array([0, 0, 0])
        self.assertAllClose(
            losses.ProxyAnchorLoss()(y, sims), proxy_anchor_loss(sims, y), atol=1e-4, rtol=1e-5
        )


def _pml_pair(name):
    torch = pytest.importorskip("torch")
    pml = pytest.importorskip("pytorch_metric_learning.losses")
    if name == "proxy_nca":
        return pml.ProxyNCALoss(C, D, softmax_scale=3.0), "proxies", torch
    if name == "proxy_anchor":
        return pml.ProxyAnchorLoss(C, D), "proxies", torch
    if name == "soft_triple":
        return pml.SoftTripleLoss(C, D, centers_per_class=3), "fc", torch
    loss = pml.SubCenterArcFaceLoss(
        num_classes=C, embedding_size=D, sub_centers=3, scale=16.0, margin=float(np.degrees(0.5))
    )
    return loss, "W", torch


def _our_loss(name, head, x, y):
    if name == "proxy_anchor":
        return losses.ProxyAnchorLoss()(y, head([x, y]))
    return CE(y, head([x, y]))


@pytest.mark.parity
class TestPMLParity(TestCase):
    @pytest.mark.parametrize("name", sorted(HEADS))
    @pytest.mark.parametrize("seed", [0, 1])
    def test_our_weights_into_pml(self, name, seed):
        pml_loss, attr, torch = _pml_pair(name)
        head, w = _head(name, seed)
        getattr(pml_loss, attr).data = torch.tensor(w, dtype=torch.float64)
        x, y = _data(seed, n=20)
        expected = float(
            pml_loss(torch.tensor(x, dtype=torch.float64), torch.tensor(y.astype("int64")))
        )
        got = _value(_our_loss(name, head, x, y))
        assert abs(got - expected) <= 1e-5 * max(1.0, abs(expected)), (got, expected)

    @pytest.mark.parametrize("name", sorted(HEADS))
    def test_pml_weights_into_ours(self, name):
        pml_loss, attr, torch = _pml_pair(name)
        cls, kwargs = HEADS[name]
        head = cls(**kwargs)
        head.build((None, D))
        weights = getattr(pml_loss, attr).detach().numpy()
        assert tuple(head.kernel.shape) == weights.shape
        head.kernel.assign(weights.astype("float32"))
        x, y = _data(3, n=20)
        expected = float(pml_loss(torch.tensor(x), torch.tensor(y.astype("int64"))))
        got = _value(_our_loss(name, head, x, y))
        assert abs(got - expected) <= 1e-5 * max(1.0, abs(expected)), (got, expected)

    def test_soft_triple_and_sub_center_loss_is_sparse_ce_of_the_logits(self):
        head, w = _head("soft_triple")
        x, y = _data()
        logits = soft_triple(x, w, y, C, 3, 20.0, 0.1, 0.01)
        self.assertAllClose(CE(y, head([x, y])), sparse_ce(logits, y), atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(HEADS))
class TestLayer(TestCase):
    def test_layer_and_saving(self, name):
        cls, kwargs = HEADS[name]
        x, y = _data()
        self.run_layer_test(cls, kwargs, [x, y], expected_output_shape=(N, C))
        self.run_layer_test(
            cls, kwargs, x, expected_output_shape=(N, C), run_precision_checks=False
        )

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
    def test_nan_or_inf_in_gives_non_finite_loss(self, name, bad):
        head, _ = _head(name)
        x, y = _data()
        x[2, 1] = bad
        assert not np.isfinite(_value(_our_loss(name, head, x, y)))

    def test_finite_gradients_at_zero_and_duplicate_embeddings(self, name):
        head, _ = _head(name)
        x, y = _data()
        x[0] = 0.0
        x[1] = x[2]
        self.assertFiniteGradients(lambda e: _our_loss(name, head, e, y), x)

    def test_out_of_range_labels(self, name):
        head, _ = _head(name)
        x, y = _data()
        y[0] = C
        with pytest.raises(ValueError, match="labels"):
            head([x, y])

    def test_fit(self, name):
        keras.utils.set_random_seed(0)
        x, y = _data(n=48)
        x = x + 3.0 * np.eye(C, D)[y].astype("float32")
        emb, lab = keras.Input((D,)), keras.Input((), dtype="int32")
        cls, kwargs = HEADS[name]
        out = cls(**kwargs)([keras.layers.Dense(D)(emb), lab])
        model = keras.Model([emb, lab], out)
        loss = losses.ProxyAnchorLoss() if name == "proxy_anchor" else CE
        model.compile(keras.optimizers.Adam(0.01), loss=loss)
        history = model.fit([x, y], y, epochs=5, batch_size=16, verbose=0).history["loss"]
        assert np.all(np.isfinite(history)) and history[-1] < history[0]


class TestBadArguments:
    @pytest.mark.parametrize(
        "cls,kwargs,arg",
        [
            (heads.ProxyNCA, {"num_classes": 1}, "num_classes"),
            (heads.ProxyNCA, {"num_classes": 3, "softmax_scale": 0.0}, "softmax_scale"),
            (heads.SoftTriple, {"num_classes": 3, "centers_per_class": 0}, "centers_per_class"),
            (heads.SoftTriple, {"num_classes": 3, "la": -1.0}, "la"),
            (heads.SoftTriple, {"num_classes": 3, "gamma": 0.0}, "gamma"),
            (heads.SoftTriple, {"num_classes": 3, "margin": "x"}, "margin"),
            (heads.SubCenterArcFace, {"num_classes": 3, "sub_centers": 1.5}, "sub_centers"),
            (heads.SubCenterArcFace, {"num_classes": 3, "margin": 4.0}, "margin"),
            (heads.ProxyAnchor, {"num_classes": "3"}, "num_classes"),
            (losses.ProxyAnchorLoss, {"alpha": 0.0}, "alpha"),
            (losses.ProxyAnchorLoss, {"margin": None}, "margin"),
        ],
    )
    def test_bad_arguments_name_the_argument(self, cls, kwargs, arg):
        with pytest.raises((TypeError, ValueError), match=arg):
            cls(**kwargs)

    def test_proxy_anchor_loss_shapes_and_labels(self):
        with pytest.raises(ValueError, match="y_pred"):
            losses.ProxyAnchorLoss()(np.zeros(4), np.zeros((4,), "float32"))
        loss = losses.ProxyAnchorLoss()(np.array([0, 5]), np.zeros((2, 3), "float32"))
        assert np.isnan(_value(loss))


class TestSubCenterOutliers(TestCase):
    def test_outliers_against_loop_and_pml(self):
        head, w = _head("sub_center_arcface")
        x, y = _data(4, n=40)
        outliers, dominant = head.get_outliers(x, y, threshold=60.0)
        expected = []
        for c in np.unique(y):
            rows = np.flatnonzero(y == c)
            cos = np.array(
                [
                    [
                        np.dot(x[i], w[:, c * 3 + k])
                        / np.linalg.norm(x[i])
                        / np.linalg.norm(w[:, c * 3 + k])
                        for k in range(3)
                    ]
                    for i in rows
                ]
            )
            counts = np.bincount(cos.argmax(axis=1), minlength=3)
            best = int(np.argmax(counts))
            np.testing.assert_allclose(dominant[:, c], w[:, c * 3 + best], rtol=1e-6)
            expected += [
                int(i)
                for i, v in zip(rows, cos[:, best], strict=True)
                if v < np.cos(np.radians(60.0))
            ]
        assert outliers.tolist() == sorted(expected)
        torch = pytest.importorskip("torch")
        pml = pytest.importorskip("pytorch_metric_learning.losses")
        loss = pml.SubCenterArcFaceLoss(num_classes=C, embedding_size=D, sub_centers=3)
        loss.W.data = torch.tensor(w, dtype=torch.float32)
        pml_outliers, pml_dominant = loss.get_outliers(
            torch.tensor(x), torch.tensor(y.astype("int64")), threshold=60.0
        )
        assert sorted(pml_outliers.tolist()) == outliers.tolist()
        np.testing.assert_allclose(pml_dominant.numpy(), dominant, rtol=1e-6)
