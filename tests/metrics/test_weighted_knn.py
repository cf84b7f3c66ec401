import math

import numpy as np
import pytest

from kzoo.metrics import weighted_knn_accuracy, weighted_knn_predict
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


def reference_knn_scores(query, reference, labels, k, tau, num_classes):
    scores = np.zeros((len(query), num_classes))
    for q in range(len(query)):
        qn = query[q] / math.sqrt(sum(v * v for v in query[q]))
        sims = []
        for j in range(len(reference)):
            rn = reference[j] / math.sqrt(sum(v * v for v in reference[j]))
            sims.append((sum(a * b for a, b in zip(qn, rn, strict=True)), j))
        sims.sort(key=lambda t: -t[0])
        for sim, j in sims[:k]:
            scores[q, int(labels[j])] += math.exp(sim / tau)
    return scores


def _data(seed, q=9, n=30, d=6, c=4):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(c, d)) * 2
    ref_labels = rng.integers(0, c, n)
    query_labels = rng.integers(0, c, q)
    reference = (centers[ref_labels] + rng.normal(size=(n, d))).astype("float32")
    query = (centers[query_labels] + rng.normal(size=(q, d))).astype("float32")
    return query, query_labels, reference, ref_labels


class TestWeightedKNN(TestCase):
    @pytest.mark.parametrize("k, tau", [(1, 0.07), (5, 0.1), (200, 0.5)])
    def test_scores_match_reference(self, k, tau):
        query, _, reference, labels = _data(k)
        scores = weighted_knn_predict(
            query, reference, labels, k=k, temperature=tau, num_classes=4, batch_size=4
        )
        expected = reference_knn_scores(
            query.astype("float64"), reference.astype("float64"), labels, k, tau, 4
        )
        self.assertAllClose(
            scores / scores.sum(1, keepdims=True),
            expected / expected.sum(1, keepdims=True),
            atol=1e-5,
        )

    def test_accuracy_matches_reference(self):
        query, query_labels, reference, labels = _data(3, q=40)
        accuracy = weighted_knn_accuracy(
            query, query_labels, reference, labels, k=7, temperature=0.1
        )
        expected = reference_knn_scores(
            query.astype("float64"), reference.astype("float64"), labels, 7, 0.1, 4
        )
        assert accuracy == pytest.approx(np.mean(expected.argmax(1) == query_labels))
        assert 0.5 < accuracy <= 1.0

    def test_tiny_temperature_does_not_overflow(self):
        query, query_labels, reference, labels = _data(4)
        scores = weighted_knn_predict(query, reference, labels, k=10, temperature=1e-4)
        self.assertAllFinite(scores)
        nearest = reference_knn_scores(
            query.astype("float64"), reference.astype("float64"), labels, 1, 1.0, 4
        )
        np.testing.assert_array_equal(scores.argmax(1), nearest.argmax(1))

    def test_bad_input(self):
        query, query_labels, reference, labels = _data(5)
        with pytest.raises(ValueError, match="query_embeddings"):
            weighted_knn_accuracy(query[0], query_labels, reference, labels)
        with pytest.raises(ValueError, match="reference_labels"):
            weighted_knn_accuracy(query, query_labels, reference, labels[:-1])
        with pytest.raises(ValueError, match="query_labels"):
            weighted_knn_accuracy(query, query_labels[:-1], reference, labels)
        with pytest.raises(ValueError, match="dim"):
            weighted_knn_accuracy(query[:, :3], query_labels, reference, labels)
        with pytest.raises(ValueError, match="`k`"):
            weighted_knn_accuracy(query, query_labels, reference, labels, k=0)
        with pytest.raises(ValueError, match="temperature"):
            weighted_knn_accuracy(query, query_labels, reference, labels, temperature=0.0)
