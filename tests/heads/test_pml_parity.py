"""Parity with PyTorch Metric Learning: same weight matrix, same loss and inference logits."""

import keras
import numpy as np
import pytest

from kzoo import heads
from kzoo.testing import TestCase

pytestmark = [pytest.mark.multi_backend, pytest.mark.parity]


def _compare(head, pml_loss, n=16, d=5, c=6, seed=0, atol=1e-4):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = rng.integers(0, c, size=n).astype("int64")
    head.build((None, d))
    w = np.asarray(keras.ops.convert_to_numpy(head.kernel))
    pml_loss.W.data = torch.tensor(w, dtype=torch.float64)
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y)
    expected_loss = float(pml_loss(xt, yt))
    expected_logits = pml_loss.get_logits(xt).detach().numpy()
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    loss = float(keras.ops.convert_to_numpy(ce(y, head([x, y]))))
    assert abs(loss - expected_loss) < atol * max(1.0, abs(expected_loss)), (loss, expected_loss)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(head(x)), expected_logits, atol=atol, rtol=1e-4
    )
    return loss


class TestPMLParity(TestCase):
    @pytest.mark.parametrize("margin_deg,scale", [(28.6, 8.0), (60.0, 4.0)])
    def test_arcface(self, margin_deg, scale):
        losses = pytest.importorskip("pytorch_metric_learning.losses")
        head = heads.ArcFace(6, scale=scale, margin=float(np.radians(margin_deg)))
        _compare(head, losses.ArcFaceLoss(6, 5, margin=margin_deg, scale=scale))

    def test_cosface(self):
        losses = pytest.importorskip("pytorch_metric_learning.losses")
        _compare(
            heads.CosFace(6, scale=16.0, margin=0.35),
            losses.CosFaceLoss(6, 5, margin=0.35, scale=16.0),
        )

    def test_normface_vs_normalized_softmax(self):
        losses = pytest.importorskip("pytorch_metric_learning.losses")
        _compare(
            heads.NormFace(6, scale=20.0), losses.NormalizedSoftmaxLoss(6, 5, temperature=0.05)
        )

    @pytest.mark.parametrize("m", [1, 2, 3, 4])
    def test_lsoftmax_without_annealing(self, m):
        losses = pytest.importorskip("pytorch_metric_learning.losses")
        head = heads.LSoftmax(6, margin=m, lambda_base=0.0, lambda_min=0.0)
        _compare(head, losses.LargeMarginSoftmaxLoss(6, 5, margin=m, scale=1))

    @pytest.mark.parametrize("m", [2, 4])
    def test_sphereface_without_annealing(self, m):
        losses = pytest.importorskip("pytorch_metric_learning.losses")
        head = heads.SphereFace(6, margin=m, lambda_base=0.0, lambda_min=0.0)
        _compare(head, losses.SphereFaceLoss(6, 5, margin=m, scale=1))
