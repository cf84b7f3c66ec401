"""masked_logsumexp (PML's lmu.logsumexp) and cosine_similarity_matrix against NumPy loops."""

import math

import numpy as np
import pytest

from kzoo.ops import cosine_similarity_matrix, masked_logsumexp
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


def _loop(x, mask, add_one):
    out = np.zeros((x.shape[0], 1))
    for i in range(x.shape[0]):
        kept = [x[i, j] for j in range(x.shape[1]) if mask[i, j]]
        if not kept:
            continue
        kept += [0.0] if add_one else []
        top = max(kept)
        out[i, 0] = top + math.log(sum(math.exp(v - top) for v in kept))
    return out


class TestMaskedLogsumexp(TestCase):
    @pytest.mark.parametrize("add_one", [False, True])
    def test_matches_loop_with_large_logits_and_empty_rows(self, add_one):
        rng = np.random.default_rng(0)
        x = (rng.normal(size=(5, 6)) * 200).astype("float32")
        mask = rng.random((5, 6)) > 0.5
        mask[2] = False
        self.assertAllClose(
            masked_logsumexp(x, mask, add_one=add_one), _loop(x, mask, add_one), rtol=1e-5
        )
        grads = self.assertFiniteGradients(lambda v: masked_logsumexp(v, mask, add_one=add_one), x)
        assert np.all(grads[0][~mask] == 0)

    def test_axis_zero_and_nan(self):
        x = np.array([[1.0, np.nan], [2.0, 3.0]], "float32")
        mask = np.array([[True, True], [True, False]])
        out = np.asarray(masked_logsumexp(x, mask, axis=0))
        assert abs(out[0, 0] - np.logaddexp(1.0, 2.0)) < 1e-5 and np.isnan(out[0, 1])

    def test_cosine_similarity_matrix(self):
        rng = np.random.default_rng(1)
        q, r = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
        r[1] = 0.0
        expected = [
            [0.0 if not b.any() else a @ b / np.linalg.norm(a) / np.linalg.norm(b) for b in r]
            for a in q
        ]
        self.assertAllClose(
            cosine_similarity_matrix(q.astype("float32"), r.astype("float32")), expected, atol=1e-6
        )
