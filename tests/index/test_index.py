import os

import keras
import numpy as np
import pytest

from kzoo.index import Index
from kzoo.index.calibration import calibrate_threshold

BACKENDS = ["exact", "faiss"]


def _needs(backend):
    if backend == "faiss":
        pytest.importorskip("faiss")


def _data(seed=0, n=60, dim=6, classes=4, spread=2.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    return (rng.normal(size=(n, dim)) + spread * np.eye(classes, dim)[y]).astype("float32"), y


def knn_np(q, r, k, distance):
    """Nearest references by explicit loops."""
    out_d, out_i = [], []
    for a in q.astype("float64"):
        dists = []
        for j, b in enumerate(r.astype("float64")):
            if distance == "cosine":
                d = 1.0 - a @ b / np.sqrt((a @ a) * (b @ b))
            else:
                d = np.sqrt(np.sum((a - b) ** 2))
            dists.append((d, j))
        best = sorted(dists)[:k]
        out_d.append([d for d, _ in best])
        out_i.append([j for _, j in best])
    return np.array(out_d), np.array(out_i)


@pytest.mark.multi_backend
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("distance", ["cosine", "l2"])
def test_search_matches_loops(backend, distance):
    _needs(backend)
    r, y = _data()
    q, _ = _data(1, n=9)
    index = Index(distance=distance, backend=backend)
    index.add(r[:25], labels=y[:25])
    index.add(r[25:], labels=y[25:])  # incremental adds
    d, i = index.search(q, k=4)
    want_d, want_i = knn_np(q, r, 4, distance)
    np.testing.assert_array_equal(i, want_i)
    np.testing.assert_allclose(d, want_d, atol=1e-4)
    assert len(index) == 60


@pytest.mark.multi_backend
def test_embedder_model_and_function_and_lookup():
    r, y = _data(2, n=20)
    proj = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, use_bias=False)])
    model.layers[0].set_weights([proj])
    via_model = Index(model, backend="exact", batch_size=7)
    via_fn = Index(lambda x: keras.ops.matmul(x, proj), backend="exact", batch_size=7)
    for index in (via_model, via_fn):
        index.add(r, labels=y, data=np.arange(20) * 10)
    np.testing.assert_allclose(via_model.embed(r), via_fn.embed(r), atol=1e-5)
    found = via_fn.lookup(r[:3], k=2)
    want_d, want_i = knn_np(r[:3] @ proj, r @ proj, 2, "cosine")
    for row, wd, wi in zip(found, want_d, want_i, strict=True):
        assert [h.index for h in row] == list(wi) and [h.rank for h in row] == [0, 1]
        assert [h.label for h in row] == list(y[wi]) and [h.data for h in row] == list(wi * 10)
        assert [h.distance for h in row] == pytest.approx(list(wd), abs=1e-5)


def calibrate_np(d, ok, target):
    best = None
    for t in sorted(set(d)):
        acc = [i for i in range(len(d)) if d[i] <= t]
        tp = sum(ok[i] for i in acc)
        if tp / len(acc) >= target:
            best = (t, tp / len(acc), tp / sum(ok))
    return best


@pytest.mark.parametrize("target", [0.5, 0.8, 0.95])
def test_calibrate_threshold_matches_loops(target):
    rng = np.random.default_rng(3)
    d = np.round(rng.random(80), 2)  # ties on purpose
    ok = rng.random(80) < 1.0 - d * 0.8
    cal = calibrate_threshold(d, ok, target)
    t, p, r = calibrate_np(list(d), list(ok), target)
    assert (cal.threshold, cal.precision, cal.recall) == pytest.approx((t, p, r))


@pytest.mark.parametrize("backend", BACKENDS)
def test_calibrate_and_match(backend):
    _needs(backend)
    r, y = _data(4, n=80, spread=2.5)
    q, yq = _data(5, n=40, spread=2.5)
    index = Index(backend=backend)
    index.add(r, labels=y)
    cal = index.calibrate(q, yq, target_precision=0.9)
    d, i = index.search(q, k=1)
    accepted, correct = d[:, 0] <= cal.threshold, y[i[:, 0]] == yq
    tp = np.sum(accepted & correct)
    assert tp / accepted.sum() == pytest.approx(cal.precision) and cal.precision >= 0.9
    assert tp / correct.sum() == pytest.approx(cal.recall) and 0 < cal.recall < 1
    labels = index.match(q, no_match_label=-7)
    np.testing.assert_array_equal(labels, np.where(accepted, y[i[:, 0]], -7))


@pytest.mark.parametrize("backend", BACKENDS)
def test_save_load_round_trip(backend, tmp_path):
    _needs(backend)
    r, y = _data(6)
    q, yq = _data(7, n=10)
    index = Index(distance="l2", backend=backend)
    index.add(r, labels=y, data=np.arange(60))
    index.calibrate(q, yq, target_precision=0.5)
    path = tmp_path / "gallery.npz"
    index.save(path)
    index.save(path)  # overwriting is atomic too
    assert sorted(os.listdir(tmp_path)) == ["gallery.npz"]
    loaded = Index.load(path)
    for a, b in zip(index.search(q, 5), loaded.search(q, 5), strict=True):
        np.testing.assert_array_equal(a, b)
    assert loaded.calibration.threshold == index.calibration.threshold
    np.testing.assert_array_equal(loaded.match(q), index.match(q))
    assert loaded.lookup(q[:1])[0][0].data == index.lookup(q[:1])[0][0].data
    loaded.add(q, labels=yq, data=np.arange(10))
    assert len(loaded) == 70 and loaded.search(q[:2], 1)[1][:, 0].tolist() == [60, 61]


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    index = Index(backend="exact")
    index.add(np.eye(3), labels=[0, 1, 2])
    path = tmp_path / "x.npz"
    index.save(path)
    before = path.read_bytes()
    index.add(np.ones((1, 3)), labels=[3])

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        index.save(path)
    assert os.listdir(tmp_path) == ["x.npz"] and path.read_bytes() == before
    monkeypatch.undo()
    objects = Index(backend="exact")
    objects.add(np.ones((2, 3)), labels=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ValueError, match="labels hold Python objects"):
        objects.save(tmp_path / "y.npz")
    assert os.listdir(tmp_path) == ["x.npz"]


def test_approximate_faiss_index_finds_most_neighbors():
    pytest.importorskip("faiss")
    r, _ = _data(8, n=2000, dim=16)
    q, _ = _data(9, n=50, dim=16)
    exact = Index(backend="exact")
    hnsw = Index(backend="faiss", faiss_index="HNSW16", search_params="efSearch=64")
    ivf = Index(backend="faiss", faiss_index="IVF16,Flat", search_params="nprobe=16")
    for index in (exact, hnsw, ivf):
        index.add(r)
    want = exact.search(q, 10)[1]
    for index in (hnsw, ivf):
        got = index.search(q, 10)[1]
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, want, strict=True)])
        assert recall > 0.9
    np.testing.assert_array_equal(ivf.search(q, 10)[1], want)  # nprobe = all lists: exact
    ivf.search_params = "nprobe=1"
    assert ivf.search_params == "nprobe=1" and ivf._faiss.index.nprobe == 1


def test_bad_inputs():
    with pytest.raises(ValueError, match="distance"):
        Index(distance="dot")
    with pytest.raises(ValueError, match="backend"):
        Index(backend="annoy")
    with pytest.raises(ValueError, match="batch_size"):
        Index(batch_size=0)
    index = Index(backend="exact")
    with pytest.raises(ValueError, match="empty"):
        index.search(np.ones((1, 3)))
    with pytest.raises(ValueError, match="labels"):
        index.add(np.ones((2, 3)), labels=[1])
    with pytest.raises(ValueError, match="NaN"):
        index.add(np.full((2, 3), np.nan))
    index.add(np.eye(3), labels=[0, 1, 2])
    with pytest.raises(ValueError, match="dimension"):
        index.add(np.ones((1, 4)))
    with pytest.raises(ValueError, match="k="):
        index.search(np.ones((1, 3)), k=4)
    with pytest.raises(ValueError, match="k must"):
        index.search(np.ones((1, 3)), k=0)
    with pytest.raises(ValueError, match="data must be given"):
        index.add(np.ones((1, 3)), data=[1])
    with pytest.raises(ValueError, match="calibrate"):
        index.match(np.ones((1, 3)))
    with pytest.raises(ValueError, match="target_precision"):
        index.calibrate(np.eye(3), [0, 1, 2], target_precision=0)
    with pytest.raises(ValueError, match="No threshold"):
        index.calibrate(np.eye(3), [1, 2, 0], target_precision=0.5)
