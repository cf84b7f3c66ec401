"""Each head against its NumPy loop reference, on small random inputs."""

import math

import keras
import numpy as np
import pytest
from margin_references import (
    arcface_target,
    combined_target,
    cosine_matrix,
    l2_softmax,
    lsoftmax,
    scaled_cosine,
)

from kzoo import heads
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


def _setup(cls, kwargs, n=7, d=4, c=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    w = rng.normal(size=(d, c)).astype("float32")
    y = rng.integers(0, c, size=n).astype("int32")
    head = cls(num_classes=c, **kwargs)
    head.build((None, d))
    head.kernel.assign(w)
    return head, x, w, y


class TestReferences(TestCase):
    @pytest.mark.parametrize("m", [1, 2, 3, 4])
    def test_lsoftmax_without_annealing(self, m):
        head, x, w, y = _setup(heads.LSoftmax, {"margin": m, "lambda_base": 0.0, "lambda_min": 0.0})
        self.assertMatchesReference(head([x, y]), lambda *a: lsoftmax(*a, m=m), x, w, y)
        self.assertMatchesReference(head(x), lambda *a: lsoftmax(*a, None, m=m), x, w)

    def test_lsoftmax_lambda_schedule(self):
        kwargs = {
            "margin": 4,
            "lambda_base": 100.0,
            "lambda_gamma": 0.5,
            "lambda_power": 2.0,
            "lambda_min": 3.0,
        }
        head, x, w, y = _setup(heads.LSoftmax, kwargs)
        for iteration in (0, 3, 50):
            head.iteration.assign(iteration)
            lam = max(3.0, 100.0 * (1 + 0.5 * iteration) ** -2.0)
            assert abs(float(keras.ops.convert_to_numpy(head.current_lambda())) - lam) < 1e-4
            self.assertMatchesReference(
                head([x, y]), lambda *a, lam=lam: lsoftmax(*a, m=4, lam=lam), x, w, y, atol=1e-4
            )

    @pytest.mark.parametrize("m", [1, 2, 4])
    def test_sphereface_without_annealing(self, m):
        head, x, w, y = _setup(
            heads.SphereFace, {"margin": m, "lambda_base": 0.0, "lambda_min": 0.0}
        )
        ref = lambda *a: lsoftmax(*a, m=m, unit_weights=True)  # noqa: E731
        self.assertMatchesReference(head([x, y]), ref, x, w, y)

    def test_sphereface_default_schedule_starts_at_1000_and_floors_at_5(self):
        head, x, w, y = _setup(heads.SphereFace, {})
        ref = lambda *a, lam: lsoftmax(*a, m=4, lam=lam, unit_weights=True)  # noqa: E731
        self.assertMatchesReference(
            head([x, y]), lambda *a: ref(*a, lam=1000.0), x, w, y, atol=1e-4
        )
        head.iteration.assign(10**6)
        self.assertMatchesReference(head([x, y]), lambda *a: ref(*a, lam=5.0), x, w, y, atol=1e-4)

    @pytest.mark.parametrize("scale", [1.0, 30.0])
    def test_normface(self, scale):
        head, x, w, y = _setup(heads.NormFace, {"scale": scale})
        ref = lambda x, w: scale * cosine_matrix(x, w)  # noqa: E731
        self.assertMatchesReference(head([x, y]), ref, x, w, atol=1e-4)

    def test_normface_learnable_scale_is_used(self):
        head, x, w, y = _setup(heads.NormFace, {"scale": 4.0, "learnable_scale": True})
        head.scale_weight.assign(7.0)
        self.assertMatchesReference(
            head(x), lambda x, w: 7.0 * cosine_matrix(x, w), x, w, atol=1e-4
        )

    def test_coco(self):
        head, x, w, y = _setup(heads.CoCo, {"alpha": 12.0})
        self.assertMatchesReference(
            head([x, y]), lambda x, w: 12 * cosine_matrix(x, w), x, w, atol=1e-4
        )

    def test_l2_softmax(self):
        head, x, w, y = _setup(heads.L2Softmax, {"alpha": 9.0})
        self.assertMatchesReference(
            head([x, y]), lambda x, w: l2_softmax(x, w, 9.0), x, w, atol=1e-4
        )

    def test_l2_softmax_alpha_lower_bound(self):
        assert abs(heads.l2_softmax_alpha_lower_bound(10, 0.9) - math.log(0.9 * 8 / 0.1)) < 1e-12
        for c, p in ((10, 0.9), (1000, 0.99)):
            alpha = heads.l2_softmax_alpha_lower_bound(c, p)
            # the paper's configuration: a feature of norm alpha on its unit class weight, one
            # class opposite and C - 2 orthogonal ones (cos = 0) reaches probability ~p.
            prob = math.exp(alpha) / (math.exp(alpha) + (c - 2) + math.exp(-alpha))
            assert abs(prob - p) < 2e-3, (c, p, prob)
        with pytest.raises(ValueError, match="`num_classes` must be an int >= 3"):
            heads.l2_softmax_alpha_lower_bound(2)
        with pytest.raises(ValueError, match="`probability` must be in"):
            heads.l2_softmax_alpha_lower_bound(10, 1.0)

    @pytest.mark.parametrize("margin", [0.0, 0.35])
    def test_cosface(self, margin):
        head, x, w, y = _setup(heads.CosFace, {"scale": 10.0, "margin": margin})
        ref = lambda x, w, y: scaled_cosine(x, w, y, 10.0, lambda c: c - margin)  # noqa: E731
        self.assertMatchesReference(head([x, y]), ref, x, w, y, atol=1e-4)

    @pytest.mark.parametrize("margin,easy", [(0.5, False), (1.2, False), (0.5, True)])
    def test_arcface(self, margin, easy):
        head, x, w, y = _setup(
            heads.ArcFace, {"scale": 10.0, "margin": margin, "easy_margin": easy}, n=40
        )
        target = arcface_target(margin, easy)
        cos = cosine_matrix(x, w)[np.arange(40), y]
        if not easy:
            assert np.any(np.arccos(cos) > math.pi - margin) or margin < 1.0
        ref = lambda x, w, y: scaled_cosine(x, w, y, 10.0, target)  # noqa: E731
        self.assertMatchesReference(head([x, y]), ref, x, w, y, atol=2e-4)

    @pytest.mark.parametrize(
        "m1,m2,m3", [(1, 0.3, 0.2), (2, 0.2, 0.1), (3, 0.0, 0.0), (4, 0.5, 0.3)]
    )
    def test_combined_margin(self, m1, m2, m3):
        head, x, w, y = _setup(
            heads.CombinedMargin, {"scale": 10.0, "m1": m1, "m2": m2, "m3": m3}, n=40
        )
        ref = lambda x, w, y: scaled_cosine(x, w, y, 10.0, combined_target(m1, m2, m3))  # noqa: E731
        self.assertMatchesReference(head([x, y]), ref, x, w, y, atol=2e-4)

    def test_combined_margin_special_cases(self):
        arc, x, w, y = _setup(heads.ArcFace, {"scale": 10.0, "margin": 0.4})
        comb = heads.CombinedMargin(5, scale=10.0, m1=1, m2=0.4, m3=0.0)
        comb.build((None, 4))
        comb.kernel.assign(w)
        cos = cosine_matrix(x, w)[np.arange(7), y]
        assert np.all(np.arccos(cos) < math.pi - 0.4)
        self.assertAllClose(comb([x, y]), arc([x, y]), atol=1e-4)
        cosface, *_ = _setup(heads.CosFace, {"scale": 10.0, "margin": 0.3})
        comb = heads.CombinedMargin(5, scale=10.0, m1=1, m2=0.0, m3=0.3)
        comb.build((None, 4))
        comb.kernel.assign(w)
        self.assertAllClose(comb([x, y]), cosface([x, y]), atol=1e-4)

    def test_argument_errors(self):
        with pytest.raises(ValueError, match="`margin` must be an int >= 1"):
            heads.LSoftmax(3, margin=1.5)
        with pytest.raises(ValueError, match="`lambda_gamma` must be a finite number >= 0"):
            heads.SphereFace(3, lambda_gamma=-1.0)
        with pytest.raises(ValueError, match="`scale` must be a finite number > 0"):
            heads.NormFace(3, scale=0.0)
        with pytest.raises(ValueError, match=r"`margin` must be a finite number in \[0, 3.14159\)"):
            heads.ArcFace(3, margin=28.6)
        with pytest.raises(ValueError, match="`m1` must be an int >= 1"):
            heads.CombinedMargin(3, m1=0.9)
        with pytest.raises(ValueError, match="`num_classes` must be an int >= 2"):
            heads.CosFace(1)
        with pytest.raises(ValueError, match="`num_classes` must be an int"):
            heads.CosFace("10")
        with pytest.raises(ValueError, match="`alpha` must be a finite number > 0"):
            heads.L2Softmax(3, alpha=-2.0)
