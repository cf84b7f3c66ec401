"""The evaluation machinery: metrics against loop references, and `evaluate` through the hub."""

from __future__ import annotations

import numpy as np
import pytest

from kzoo.datasets import UnknownDatasetError, get_dataset, register_dataset
from kzoo.evaluation import evaluate
from kzoo.evaluation.data_path import load_data, load_split, predict, preprocess
from kzoo.metrics.retrieval import recall_at_k
from kzoo.zoo import InputSpec
from tests.hub.tiny_zoo import TINY_KEY


def recall_at_1_loops(emb, labels, tie=0.0):
    """Recall@1 by explicit loops, as (lowest, highest) over every way of breaking ties.

    Neighbours whose cosine is within `tie` of the best count as tied: a query is surely a hit
    when all of them share its label, possibly one when any does.
    """
    emb = np.asarray(emb, dtype=np.float64)
    surely = possibly = 0
    for i in range(len(emb)):
        cos = {}
        for j in range(len(emb)):
            if j != i:
                norms = np.linalg.norm(emb[i]) * np.linalg.norm(emb[j])
                cos[j] = float(np.dot(emb[i], emb[j]) / norms)
        best = max(cos.values())
        same = [labels[j] == labels[i] for j, c in cos.items() if c >= best - tie]
        surely += all(same)
        possibly += any(same)
    return surely / len(emb), possibly / len(emb)


def test_cosine_recall_at_1_matches_loops():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(37, 5))
    labels = rng.integers(0, 4, size=37)
    lowest, highest = recall_at_1_loops(emb, labels)
    assert lowest == highest
    assert recall_at_k(emb, labels, 1, distance="angular", chunk=8) == pytest.approx(lowest)


def test_preprocess_and_load_split():
    x, y = load_split("fashion_mnist", "test")
    assert x.shape == (10_000, 28, 28) and y.shape == (10_000,)
    spec = InputSpec((28, 28, 1), scale=1 / 255, offset=-0.5)
    out = preprocess(x[:4], spec)
    assert out.shape == (4, 28, 28, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[1, 5, 7, 0], x[1, 5, 7] / 255 - 0.5, atol=1e-6)
    with pytest.raises(ValueError, match="`split`"):
        load_split("mnist", "val")
    with pytest.raises(UnknownDatasetError, match="No dataset named 'imagenet'.*fashion_mnist"):
        load_split("imagenet", "test")


def test_evaluate_remeasures_beside_recorded(hub_env):
    report = evaluate(TINY_KEY, limit=128, progress=False)
    rows = {r["metric"]: r for r in report["rows"]}
    assert set(rows) == {"accuracy", "recall_at_1", "map_at_r"}
    assert (
        rows["accuracy"]["recorded"] == 0.1 and report["split"] == "test" and report["limit"] == 128
    )
    x, y = load_split("fashion_mnist", "test")
    emb, logits = predict(
        hub_env.models["v2"], preprocess(x[:128], InputSpec((28, 28, 1))), progress=False
    )
    expected_acc = sum(int(np.argmax(logits[i]) == y[i]) for i in range(128)) / 128
    assert rows["accuracy"]["measured"] == pytest.approx(expected_acc)
    # the random tiny net's embeddings nearly coincide: neighbours tie within float32 rounding,
    # which CPUs (Intel, AMD) break differently; any way of breaking them is right
    measured = rows["recall_at_1"]["measured"]
    assert measured == recall_at_k(emb, y[:128], 1, distance="angular")
    lowest, highest = recall_at_1_loops(emb, y[:128].astype(int), tie=1e-6)
    assert lowest <= measured <= highest
    assert rows["accuracy"]["delta"] == pytest.approx(expected_acc - 0.1)
    # 128 samples are not the entry's CI slice: the full split's record is shown, not compared
    assert report["recorded_on"] == "full split, not compared" and rows["accuracy"]["ok"] is None


def test_a_registered_dataset_feeds_load_data_with_its_kwargs(tmp_path):
    from kzoo.zoo import Manifest
    from tests.hub.tiny_zoo import empty_manifest, tiny_entry

    def features(split, data_dir=None, n=4):
        x = np.arange(n * 3, dtype="float32").reshape(n, 3) + (100 if split == "test" else 0)
        return x, np.arange(n) % 2

    register_dataset("toy_features_test", features, overwrite=True)
    assert get_dataset("toy_features_test") is features
    manifest = Manifest.load(empty_manifest(tmp_path / "m.json"))
    ev = {"evaluator": "classification", "dataset": "toy_features_test", "split": "test"}
    entry = tiny_entry(
        eval={**ev, "kwargs": {}, "dataset_kwargs": {"n": 5}},
        input={"shape": [3], "dtype": "float32", "scale": 1.0, "offset": 0.0},
        revision=None,
        files={},
    )
    manifest.set_entry("toy.v1", entry)
    (x, y), (xt, yt) = load_data("toy.v1", manifest=manifest)
    assert x.shape == (5, 3) and xt[0, 0] == 100 and list(yt) == [0, 1, 0, 1, 0]
