import numpy as np
import pytest

from kzoo.metrics.retrieval import map_at_r, recall_at_k
from tests.zoo.tie_bounds import accuracy_bounds, map_at_r_bounds, recall_at_1_bounds


def test_accuracy_bounds_cover_each_tie_break():
    logits = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0], [3.0, 3.0, 3.0]])
    labels = np.array([0, 1, 2])
    # row 0: label tied with class 1; row 1: a clear hit; row 2: a three-way tie
    assert accuracy_bounds(logits, labels) == (pytest.approx(1 / 3), pytest.approx(1.0))
    assert accuracy_bounds(logits + [[0, 1e-9, 0], [0, 0, 0], [0, 0, 0]], labels)[0] == (
        pytest.approx(1 / 3)
    )


def test_without_ties_the_bounds_are_the_metric():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(30, 4))
    labels = rng.integers(0, 3, 30)
    lo, hi = recall_at_1_bounds(emb, labels)
    assert lo == hi == pytest.approx(float(recall_at_k(emb, labels, 1, distance="angular")))
    lo, hi = map_at_r_bounds(emb, labels)
    assert lo == pytest.approx(hi)
    assert lo == pytest.approx(float(map_at_r(emb, labels, distance="angular")), abs=1e-6)


def test_duplicate_embeddings_widen_the_bounds():
    emb = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    labels = np.array([0, 0, 1, 1])
    # queries 0 and 1 tie between a same-label and a different-label neighbour; 2's nearest are
    # 0 and 1 (other label); 3 has all three tied at cosine 0, one of them (2) of its label
    assert recall_at_1_bounds(emb, labels) == (0.0, 0.75)
    # query 0 (R=1): best 1.0, worst 0.0; likewise 1; query 2 (R=1): 0.0 both; query 3 (R=1): 1, 0
    lo, hi = map_at_r_bounds(emb, labels)
    assert (lo, hi) == (0.0, pytest.approx(3 / 4))
