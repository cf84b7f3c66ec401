import numpy as np
import pytest

from kzoo.metrics import map_at_r, recall_at_k


def _data(seed=0, n=40, dim=4, classes=5):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    return (rng.normal(size=(n, dim)) + y[:, None] * 0.7).astype("float32"), y


def recall_np(e, y, k):
    hits = 0
    for i in range(len(y)):
        d = [(np.sum((e[i] - e[j]) ** 2), j) for j in range(len(y)) if j != i]
        hits += any(y[j] == y[i] for _, j in sorted(d)[:k])
    return hits / len(y)


def map_at_r_np(e, y):
    aps = []
    for i in range(len(y)):
        r = sum(1 for j in range(len(y)) if j != i and y[j] == y[i])
        if r == 0:
            continue
        d = sorted((np.sum((e[i] - e[j]) ** 2), j) for j in range(len(y)) if j != i)[:r]
        hits, total = 0, 0.0
        for rank, (_, j) in enumerate(d, start=1):
            if y[j] == y[i]:
                hits += 1
                total += hits / rank
        aps.append(total / r)
    return float(np.mean(aps))


@pytest.mark.parametrize("k", [1, 3])
def test_recall_matches_loops(k):
    e, y = _data()
    assert recall_at_k(e, y, k=k, chunk=7) == pytest.approx(recall_np(e.astype("float64"), y, k))


def test_map_at_r_matches_loops():
    e, y = _data(1)
    assert map_at_r(e, y, chunk=9) == pytest.approx(map_at_r_np(e.astype("float64"), y), abs=1e-9)


def test_perfect_and_reference_sets():
    y = np.repeat(np.arange(3), 4)
    e = (
        np.eye(3, dtype="float32")[y] * 10
        + np.random.default_rng(0).normal(size=(12, 3)).astype("float32") * 0.01
    )
    assert recall_at_k(e, y) == 1.0 and map_at_r(e, y) == pytest.approx(1.0)
    assert recall_at_k(e[:3], y[:3], reference_embeddings=e, reference_labels=y) == 1.0
    assert recall_at_k(e, y, distance="angular") == 1.0


@pytest.mark.parity
def test_pml_accuracy_calculator_parity():
    pytest.importorskip("torch")
    calc_mod = pytest.importorskip("pytorch_metric_learning.utils.accuracy_calculator")
    from pytorch_metric_learning.distances import LpDistance
    from pytorch_metric_learning.utils.inference import CustomKNN

    e, y = _data(2, n=60)
    calc = calc_mod.AccuracyCalculator(
        include=("precision_at_1", "mean_average_precision_at_r"),
        knn_func=CustomKNN(LpDistance(normalize_embeddings=False)),
    )
    import torch

    out = calc.get_accuracy(torch.tensor(e), torch.tensor(y))
    assert recall_at_k(e, y) == pytest.approx(out["precision_at_1"], abs=1e-6)
    assert map_at_r(e, y) == pytest.approx(out["mean_average_precision_at_r"], abs=1e-6)


def test_bad_inputs():
    e, y = _data()
    with pytest.raises(ValueError, match="k must"):
        recall_at_k(e, y, k=0)
    with pytest.raises(ValueError, match="labels"):
        recall_at_k(e, y[:-1])
    with pytest.raises(ValueError, match="embeddings"):
        map_at_r(e[None], y)
    with pytest.raises(ValueError, match="distance"):
        recall_at_k(e, y, distance="l1")
    with pytest.raises(ValueError, match="two or more"):
        map_at_r(e[:3], np.arange(3))
