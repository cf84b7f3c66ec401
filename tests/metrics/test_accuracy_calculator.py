import inspect

import numpy as np
import pytest

from kzoo.metrics import AccuracyCalculator

KNN = (
    "precision_at_1",
    "r_precision",
    "mean_average_precision_at_r",
    "mean_average_precision",
    "mean_reciprocal_rank",
)


def _data(seed=0, n=40, dim=4, classes=5):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    return (rng.normal(size=(n, dim)) + y[:, None] * 0.7).astype("float32"), y


def _blobs(seed=0, per_class=20, classes=5, flip=0.1):
    """Well-separated clusters whose labels are partly wrong: any k-means finds the blobs."""
    rng = np.random.default_rng(seed)
    blob = np.repeat(np.arange(classes), per_class)
    centers = rng.normal(size=(classes, 8)) * 20
    e = (centers[blob] + rng.normal(size=(len(blob), 8)) * 0.1).astype("float32")
    y = blob.copy()
    flipped = rng.random(len(y)) < flip
    y[flipped] = rng.integers(0, classes, flipped.sum())
    return e, y, blob


def reference_np(q, yq, r, yr, same_source, k_mode="max_bin_count"):
    """Each metric by explicit loops over queries and ranks."""
    per_query = {m: [] for m in KNN}
    counts = {lab: sum(1 for v in yr if v == lab) - int(same_source) for lab in set(yq)}
    k = max(counts.values()) if k_mode == "max_bin_count" else len(r) - int(same_source)
    for i in range(len(q)):
        big_r = counts[yq[i]]
        if big_r == 0:
            continue
        dists = []
        for j in range(len(r)):
            if same_source and j == i:
                continue
            dists.append((float(np.sum((q[i].astype("float64") - r[j]) ** 2)), j))
        hits = [yr[j] == yq[i] for _, j in sorted(dists)[:k]]
        per_query["precision_at_1"].append(float(hits[0]))
        per_query["r_precision"].append(sum(hits[:big_r]) / min(big_r, k))
        ap_r, ap, found = 0.0, 0.0, 0
        for rank, hit in enumerate(hits, start=1):
            if hit:
                found += 1
                ap += found / rank
                if rank <= big_r:
                    ap_r += found / rank
        per_query["mean_average_precision_at_r"].append(ap_r / big_r)
        per_query["mean_average_precision"].append(ap / big_r)
        first = next((rank for rank, hit in enumerate(hits, start=1) if hit), None)
        per_query["mean_reciprocal_rank"].append(0.0 if first is None else 1.0 / first)
    return {m: float(np.mean(v)) for m, v in per_query.items()}


@pytest.mark.parametrize("k", ["max_bin_count", None])
def test_same_source_matches_loops(k):
    e, y = _data()
    got = AccuracyCalculator(include=KNN, k=k, chunk=7).get_accuracy(e, y)
    want = reference_np(e, y, e, y, True, k_mode=k)
    for m in KNN:
        assert got[m] == pytest.approx(want[m], abs=1e-9), m


def test_separate_reference_with_lone_queries_matches_loops():
    q, yq = _data(1, n=15)
    r, yr = _data(2, n=50, classes=4)
    yq[:3] = 9  # no reference has label 9: these queries are left out
    got = AccuracyCalculator(include=KNN, k="max_bin_count").get_accuracy(q, yq, r, yr)
    want = reference_np(q, yq, r, yr, False)
    for m in KNN:
        assert got[m] == pytest.approx(want[m], abs=1e-9), m


def test_ref_includes_query_superset():
    e, y = _data(3, n=30)
    extra, y_extra = _data(4, n=20)
    r, yr = np.concatenate([e, extra]), np.concatenate([y, y_extra])
    got = AccuracyCalculator(include=KNN, k="max_bin_count").get_accuracy(
        e, y, r, yr, ref_includes_query=True
    )
    want = reference_np(e, y, r, yr, True)
    for m in KNN:
        assert got[m] == pytest.approx(want[m], abs=1e-9), m


def test_perfect_embeddings_and_clustering():
    y = np.repeat(np.arange(4), 6)
    e = np.eye(4, dtype="float32")[y] * 10 + np.random.default_rng(0).normal(size=(24, 4)) * 0.01
    out = AccuracyCalculator().get_accuracy(e, y)
    assert set(out) == {"AMI", "NMI", *KNN}
    assert all(v == pytest.approx(1.0) for v in out.values())


def test_nmi_ami_against_sklearn_on_known_clusters():
    from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

    e, y, blob = _blobs()
    out = AccuracyCalculator(include=("NMI", "AMI")).get_accuracy(e, y)
    assert out["NMI"] == pytest.approx(normalized_mutual_info_score(y, blob))
    assert out["AMI"] == pytest.approx(adjusted_mutual_info_score(y, blob))
    assert out["NMI"] < 0.99


def test_avg_of_avgs_and_per_class():
    e, y = _data(5)
    per_class = AccuracyCalculator(include=("precision_at_1",), return_per_class=True)
    values = per_class.get_accuracy(e, y)["precision_at_1"]
    assert len(values) == len(np.unique(y))
    for label, value in zip(np.unique(y), values, strict=True):
        rows = np.flatnonzero(y == label)
        hits = []
        for i in rows:
            d = [(np.sum((e[i] - e[j]) ** 2), j) for j in range(len(y)) if j != i]
            hits.append(y[min(d)[1]] == label)
        assert value == pytest.approx(np.mean(hits))
    avg = AccuracyCalculator(include=("precision_at_1",), avg_of_avgs=True).get_accuracy(e, y)
    assert avg["precision_at_1"] == pytest.approx(np.mean(values))


def test_all_lone_gives_nan():
    e, y = _data(6, n=5)
    out = AccuracyCalculator(include=("precision_at_1",)).get_accuracy(e, np.arange(5))
    assert np.isnan(out["precision_at_1"])


def test_bad_inputs():
    e, y = _data()
    with pytest.raises(ValueError, match="include"):
        AccuracyCalculator(include=("recall",))
    with pytest.raises(TypeError, match="exclude"):
        AccuracyCalculator(exclude="NMI")
    with pytest.raises(ValueError, match="k must"):
        AccuracyCalculator(k=0)
    with pytest.raises(ValueError, match="mutually exclusive"):
        AccuracyCalculator(avg_of_avgs=True, return_per_class=True)
    with pytest.raises(ValueError, match="distance"):
        AccuracyCalculator(distance="l1")
    calc = AccuracyCalculator(include=("precision_at_1",))
    with pytest.raises(ValueError, match="query_labels"):
        calc.get_accuracy(e, y[:-1])
    with pytest.raises(ValueError, match="ref_includes_query"):
        calc.get_accuracy(e, y, e[::-1], y[::-1], ref_includes_query=True)
    with pytest.raises(ValueError, match="query_embeddings contain NaN"):
        calc.get_accuracy(np.where(np.arange(4) == 0, np.nan, e), y)
    with pytest.raises(ValueError, match="k=100"):
        AccuracyCalculator(include=("precision_at_1",), k=100).get_accuracy(e, y)


def _pml(**kwargs):
    pytest.importorskip("torch")
    acc = pytest.importorskip("pytorch_metric_learning.utils.accuracy_calculator")
    from pytorch_metric_learning.distances import CosineSimilarity, LpDistance
    from pytorch_metric_learning.utils.inference import CustomKNN

    angular = kwargs.pop("angular", False)
    distance = CosineSimilarity() if angular else LpDistance(normalize_embeddings=False)
    return acc.AccuracyCalculator(knn_func=CustomKNN(distance), **kwargs)


def _torch(*arrays):
    import torch

    return [torch.tensor(np.asarray(a)) for a in arrays]


@pytest.mark.parity
@pytest.mark.parametrize(
    "options",
    [
        {"k": "max_bin_count"},
        {"k": None},
        {"k": 3},
        {"k": "max_bin_count", "avg_of_avgs": True},
        {"k": "max_bin_count", "return_per_class": True},
    ],
)
@pytest.mark.parametrize("angular", [False, True])
def test_pml_parity_same_source(options, angular):
    e, y = _data(7, n=60)
    pml = _pml(include=KNN, angular=angular, **options).get_accuracy(*_torch(e, y))
    ours = AccuracyCalculator(
        include=KNN, distance="angular" if angular else "l2", **options
    ).get_accuracy(e, y)
    for m in KNN:
        assert np.asarray(ours[m]) == pytest.approx(np.asarray(pml[m]), abs=1e-6), m


@pytest.mark.parity
@pytest.mark.parametrize("k", ["max_bin_count", None])
def test_pml_parity_query_reference_and_superset(k):
    q, yq = _data(8, n=25)
    r, yr = _data(9, n=70, classes=4)
    yq[:4] = 7  # lone queries: label 7 is not among the references
    pml = _pml(include=KNN, k=k).get_accuracy(*_torch(q, yq, r, yr))
    ours = AccuracyCalculator(include=KNN, k=k).get_accuracy(q, yq, r, yr)
    for m in KNN:
        assert ours[m] == pytest.approx(pml[m], abs=1e-6), m
    sup, ysup = np.concatenate([q, r]), np.concatenate([yq, yr])
    pml = _pml(include=KNN, k=k).get_accuracy(*_torch(q, yq, sup, ysup), ref_includes_query=True)
    ours = AccuracyCalculator(include=KNN, k=k).get_accuracy(
        q, yq, sup, ysup, ref_includes_query=True
    )
    for m in KNN:
        assert ours[m] == pytest.approx(pml[m], abs=1e-6), m


@pytest.mark.parity
def test_pml_parity_nmi_ami():
    """PML's NMI/AMI given the same k-means: clusters of the queries, one per label.

    (PML's default faiss k-means, one random start, lands in worse clusterings on these
    blobs, NMI 0.60-0.82 where scikit-learn's k-means++ finds the blobs.)
    """
    import torch
    from sklearn.cluster import KMeans

    def sklearn_kmeans(x, num_clusters):
        km = KMeans(n_clusters=num_clusters, n_init=10, random_state=0)
        return torch.tensor(km.fit_predict(x.numpy().astype("float64")))

    e, y, _ = _blobs(1)
    pml = _pml(include=("NMI", "AMI"), kmeans_func=sklearn_kmeans).get_accuracy(*_torch(e, y))
    ours = AccuracyCalculator(include=("NMI", "AMI")).get_accuracy(e, y)
    assert ours["NMI"] == pytest.approx(pml["NMI"], abs=1e-6)
    assert ours["AMI"] == pytest.approx(pml["AMI"], abs=1e-6)


@pytest.mark.parity
def test_defaults_equal_pml():
    pytest.importorskip("torch")
    acc = pytest.importorskip("pytorch_metric_learning.utils.accuracy_calculator")
    ours = inspect.signature(AccuracyCalculator.__init__).parameters
    theirs = inspect.signature(acc.AccuracyCalculator.__init__).parameters
    for name in ("avg_of_avgs", "return_per_class", "k"):
        assert ours[name].default == theirs[name].default, name
    for name in ("include", "exclude"):
        assert tuple(ours[name].default) == tuple(theirs[name].default), name
