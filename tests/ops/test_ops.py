import keras
import numpy as np
import pytest
from keras import ops

from kzoo.ops import (
    masked_maximum,
    masked_mean,
    masked_minimum,
    negative_mask,
    paired_distances,
    pairwise_distances,
    positive_mask,
    safe_sqrt,
    triplet_mask,
)
from kzoo.testing import TestCase
from kzoo.testing.test_case import to_numpy
from tests.losses.references import angular_distance_np, pairwise_distance_np

pytestmark = pytest.mark.multi_backend

E = np.random.default_rng(0).normal(size=(7, 5)).astype("float32")


class TestPairwiseDistances(TestCase):
    @pytest.mark.parametrize("distance", ["l2", "squared_l2"])
    def test_euclidean(self, distance):
        self.assertMatchesReference(
            pairwise_distances(E, distance),
            lambda e: pairwise_distance_np(e, distance == "squared_l2"),
            E,
        )

    def test_angular(self):
        self.assertMatchesReference(pairwise_distances(E, "angular"), angular_distance_np, E)

    @pytest.mark.parametrize("distance", ["l2", "squared_l2", "angular"])
    def test_paired_matches_diagonal_of_cross(self, distance):
        d = to_numpy(pairwise_distances(E, distance))
        self.assertAllClose(
            paired_distances(E[:-1], E[1:], distance), np.diag(d, 1), atol=1e-5, rtol=1e-5
        )

    @pytest.mark.parametrize("distance", ["l2", "squared_l2", "angular"])
    @pytest.mark.parametrize("case", ["duplicates", "zeros", "antipodal"])
    def test_finite_gradients(self, distance, case):
        x = {
            "duplicates": np.repeat(E[:1], 4, 0),
            "zeros": np.zeros((4, 3), "float32"),
            "antipodal": np.array([[1, 0], [-1, 0]], "float32"),
        }[case]
        self.assertFiniteGradients(lambda v: pairwise_distances(v, distance), x)
        self.assertFiniteGradients(lambda v: paired_distances(v, ops.flip(v, axis=0), distance), x)

    @pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
    def test_low_precision(self, dtype):
        d = pairwise_distances(ops.cast(E, dtype), "l2")
        assert keras.backend.standardize_dtype(d.dtype) == dtype
        self.assertAllClose(ops.cast(d, "float32"), pairwise_distance_np(E), atol=0.1, rtol=0.05)
        self.assertFiniteGradients(
            lambda v: ops.cast(pairwise_distances(v, "l2"), "float32"), ops.cast(E, dtype)
        )

    def test_safe_sqrt(self):
        self.assertAllClose(safe_sqrt(np.array([0.0, 4.0, -1.0], "float32")), [0.0, 2.0, 0.0])
        self.assertFiniteGradients(safe_sqrt, np.array([0.0, 1e-30, 4.0], "float32"))

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match="distance"):
            pairwise_distances(E, "manhattan")
        with pytest.raises(TypeError, match="distance"):
            pairwise_distances(E, 2)
        with pytest.raises(ValueError, match="2-D"):
            pairwise_distances(E[None], "l2")


class TestMasks(TestCase):
    def test_masks_match_loops(self):
        y = np.array([0, 1, 0, 2, 1, 0])
        pos, neg, trip = (
            to_numpy(m) for m in (positive_mask(y), negative_mask(y), triplet_mask(y))
        )
        for i in range(6):
            for j in range(6):
                assert pos[i, j] == (y[i] == y[j] and i != j)
                assert neg[i, j] == (y[i] != y[j])
                for k in range(6):
                    assert trip[i, j, k] == (pos[i, j] and neg[i, k])
        with pytest.raises(ValueError, match="labels"):
            positive_mask(np.zeros((3, 2)))

    def test_masked_reductions(self):
        data = np.array([[3.0, 1.0, 2.0], [5.0, 4.0, 6.0]], "float32")
        mask = np.array([[True, False, True], [False, False, False]])
        self.assertAllClose(
            masked_maximum(data, mask)[:, 0], [3.0, 4.0]
        )  # empty row: row minimum (TF-Addons)
        self.assertAllClose(masked_minimum(data, mask)[:, 0], [2.0, 6.0])  # empty row: row maximum
        self.assertAllClose(masked_mean(data, mask, axis=1), [2.5, 0.0])
