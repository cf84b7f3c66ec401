import numpy as np
import pytest

from kzoo.metrics.verification import best_threshold, kfold_accuracy, pair_scores, tar_at_far
from kzoo.metrics.verification_report import evaluate_verification


def _pairs(seed=0, n=200, dim=8, noise=1.0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, dim))
    same = rng.random(n) < 0.5
    b = np.where(same[:, None], a + noise * rng.normal(size=(n, dim)), rng.normal(size=(n, dim)))
    return a.astype("float32"), b.astype("float32"), same


def kfold_np(s, y, folds):
    """LFW protocol by loops: every midpoint threshold tried on the training folds."""
    n = len(s)
    size, extra = divmod(n, folds)
    bounds, start = [], 0
    for f in range(folds):
        stop = start + size + (1 if f < extra else 0)
        bounds.append((start, stop))
        start = stop
    accs = []
    for lo, hi in bounds:
        train = [i for i in range(n) if not lo <= i < hi]
        values = sorted({s[i] for i in train})
        candidates = [values[0] - 1.0]
        candidates += [(u + v) / 2 for u, v in zip(values, values[1:], strict=False)]
        candidates.append(values[-1] + 1.0)
        best_t, best_c = None, -1
        for t in candidates:
            correct = sum((s[i] >= t) == y[i] for i in train)
            if correct > best_c:
                best_t, best_c = t, correct
        accs.append(sum((s[i] >= best_t) == y[i] for i in range(lo, hi)) / (hi - lo))
    return float(np.mean(accs)), float(np.std(accs))


def tar_np(s, y, far):
    best = 0.0
    for t in sorted(set(s)) + [np.inf]:
        fa = sum(1 for i in range(len(s)) if not y[i] and s[i] >= t) / sum(~y)
        ta = sum(1 for i in range(len(s)) if y[i] and s[i] >= t) / sum(y)
        if fa <= far:
            best = max(best, ta)
    return best


def test_pair_scores_matches_loops():
    a, b, _ = _pairs(n=5)
    cos = pair_scores(a, b)
    l2 = pair_scores(a, b, distance="l2")
    for i in range(5):
        x, z = a[i].astype("float64"), b[i].astype("float64")
        assert cos[i] == pytest.approx(x @ z / np.sqrt((x @ x) * (z @ z)))
        assert l2[i] == pytest.approx(-np.sqrt(np.sum((x - z) ** 2)))


@pytest.mark.parametrize("n, folds", [(200, 10), (97, 10), (60, 3)])
def test_kfold_accuracy_matches_loops(n, folds):
    a, b, y = _pairs(1, n=n)
    s = pair_scores(a, b)
    mean, std, thresholds = kfold_accuracy(s, y, folds)
    want_mean, want_std = kfold_np(list(s), list(y), folds)
    assert (mean, std) == pytest.approx((want_mean, want_std))
    assert thresholds.shape == (folds,)
    assert 0.5 < mean < 1.0  # noisy pairs: neither chance nor perfect


def test_best_threshold_with_ties_and_perfect_split():
    t, acc = best_threshold([0.1, 0.1, 0.9, 0.9], [False, False, True, True])
    assert acc == 1.0 and 0.1 < t < 0.9
    t, acc = best_threshold([0.5, 0.5, 0.5], [True, False, True])
    assert acc == pytest.approx(2 / 3) and t < 0.5  # all "same"


@pytest.mark.parametrize("far", [0.0, 0.01, 0.1, 0.5])
def test_tar_at_far_matches_loops(far):
    a, b, y = _pairs(2, n=150)
    s = pair_scores(a, b)
    assert tar_at_far(s, y, far) == pytest.approx(tar_np(list(s), y, far))


def test_evaluate_verification_report_and_picture(tmp_path):
    a, b, y = _pairs(3, n=300, noise=0.8)
    path = tmp_path / "roc.png"
    report = evaluate_verification(a, b, y, fars=(0.01, 0.1), plot_path=path)
    s = pair_scores(a, b)
    assert report.accuracy == pytest.approx(kfold_accuracy(s, y)[0])
    assert report.tar_at_far[0.1] == pytest.approx(tar_np(list(s), y, 0.1))
    assert 0.5 < report.auc <= 1.0 and report.fpr[0] == 0.0 and report.tpr[-1] == 1.0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "TAR@FAR=0.01" in report.summary()
    perfect = evaluate_verification(a, np.where(y[:, None], a, -a), y, fars=(0.0,))
    assert (perfect.accuracy, perfect.tar_at_far[0.0], perfect.auc) == (1.0, 1.0, 1.0)


def test_bad_inputs():
    a, b, y = _pairs(n=20)
    with pytest.raises(ValueError, match="embeddings_a and embeddings_b"):
        pair_scores(a, b[:-1])
    with pytest.raises(ValueError, match="distance"):
        pair_scores(a, b, distance="l1")
    with pytest.raises(ValueError, match="NaN"):
        pair_scores(np.full_like(a, np.nan), b)
    with pytest.raises(ValueError, match="is_same"):
        kfold_accuracy(np.zeros(20), y[:-1])
    with pytest.raises(ValueError, match="is_same"):
        kfold_accuracy(np.zeros(20), np.full(20, 2))
    with pytest.raises(ValueError, match="num_folds"):
        kfold_accuracy(np.zeros(20), y, num_folds=1)
    with pytest.raises(ValueError, match="far"):
        tar_at_far(np.zeros(20), y, far=2.0)
    with pytest.raises(ValueError, match="both"):
        tar_at_far(np.zeros(20), np.ones(20, bool), far=0.1)
