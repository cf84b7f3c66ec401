"""The `trr_synthetic` zoo evaluator: regenerated data, metrics against loop references."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kzoo
from kzoo.datasets import trr_synthetic
from kzoo.datasets.trr_synthetic import (
    fingerprint_labels,
    generator_parameters,
    trr_synthetic_split,
    validation_split,
)
from kzoo.evaluation import evaluate, load_data
from kzoo.evaluation.trr_synthetic import trr_synthetic as trr_synthetic_evaluator
from kzoo.models import build_trr_mlp
from kzoo.testing.test_case import to_numpy
from kzoo.zoo import Manifest, ModelEntry, get_dataset, get_evaluator

KEY = "trr_mlp.synthetic_test"
ARCH = {"num_features": 100, "num_classes": 10, "hidden": 32, "depth": 3, "keep_rate": 0.6}


def entry_data(**eval_overrides) -> dict:
    _, y_val = validation_split(0)
    kwargs = {"data_seed": 0, **generator_parameters(), "labels_sha256": fingerprint_labels(y_val)}
    return {
        "repo_id": f"kzoo/{KEY}",
        "revision": None,
        "files": {},
        "architecture": {"builder": "trr_mlp", "kwargs": ARCH},
        "input": {"shape": [100], "dtype": "float32", "scale": 1.0, "offset": 0.0},
        "outputs": ["embedding", "logits"],
        "embedding_size": ARCH["hidden"],
        "classes": 10,
        "eval": {
            "evaluator": "trr_synthetic",
            "dataset": "trr_synthetic",
            "split": "validation",
            "kwargs": kwargs,
            "dataset_kwargs": {"n_train": 50, "seed": 1, "data_seed": 0},
            **eval_overrides,
        },
        "metrics": {"accuracy": 0.1, "recall_at_1": 0.1, "map_at_r": 0.1},
        "recipe": {"script": "training/trr_mlp.py", "command": "", "args": {}},
    }


def recall_at_1_loops(emb, labels):
    emb = np.asarray(emb, dtype=np.float64)
    hits = 0
    for i in range(len(emb)):
        dists = [np.sum((emb[i] - emb[j]) ** 2) if j != i else np.inf for j in range(len(emb))]
        hits += labels[int(np.argmin(dists))] == labels[i]
    return hits / len(emb)


def map_at_r_loops(emb, labels):
    emb = np.asarray(emb, dtype=np.float64)
    aps = []
    for i in range(len(emb)):
        r = int(np.sum(labels == labels[i])) - 1
        if r == 0:
            continue
        others = [j for j in range(len(emb)) if j != i]
        order = sorted(others, key=lambda j: (np.sum((emb[i] - emb[j]) ** 2), j))[:r]
        hits, ap = 0, 0.0
        for rank, j in enumerate(order, start=1):
            if labels[j] == labels[i]:
                hits += 1
                ap += hits / rank
        aps.append(ap / r)
    return float(np.mean(aps))


def test_validation_split_is_trr_synthetic_and_deterministic():
    x, y = validation_split(0)
    _, (x_ref, y_ref) = trr_synthetic(10, seed=3, data_seed=0)
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(y, y_ref)
    assert x.shape == (10_000, 100) and x.dtype == np.float32 and y.dtype == np.int64
    assert not x.flags.writeable and not y.flags.writeable  # the cached copy is protected
    assert fingerprint_labels(y) == fingerprint_labels(y_ref.astype(np.int32))
    _, y_other = validation_split(1)
    assert fingerprint_labels(y_other) != fingerprint_labels(y)


def test_registered_on_import():
    assert "trr_synthetic" in kzoo.zoo.registered_evaluators()
    assert get_evaluator("trr_synthetic") is trr_synthetic_evaluator
    assert get_dataset("trr_synthetic") is trr_synthetic_split
    assert "trr_mlp" in kzoo.zoo.registered_builders()


def test_dataset_feeds_load_data():
    manifest = Manifest({"format_version": 1, "models": {KEY: entry_data()}})
    (x, y), (x_test, y_test) = load_data(KEY, manifest=manifest)
    (x_ref, y_ref), (x_val, y_val) = trr_synthetic(50, seed=1, data_seed=0)
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(x_test, x_val)
    np.testing.assert_array_equal(y_test, y_val)
    assert x.dtype == np.float32 and x_test.shape == (10_000, 100)
    with pytest.raises(ValueError, match="`split` must be 'train' or 'test'"):
        trr_synthetic_split("validation")
    with pytest.raises(ValueError, match="`n_redundant`=5"):
        trr_synthetic_split("train", n_redundant=5)


@pytest.mark.multi_backend
def test_metrics_match_loop_references():
    entry = ModelEntry.from_dict(KEY, entry_data())
    keras.utils.set_random_seed(0)
    model = build_trr_mlp(**ARCH)
    metrics = trr_synthetic_evaluator(
        model, entry, limit=150, progress=False, batch_size=64, **entry.eval.kwargs
    )
    x, y = validation_split(0)
    emb, logits = (to_numpy(o) for o in model(x[:150], training=False))
    y = y[:150]
    assert len(np.unique(emb, axis=0)) == 150  # no tied neighbours: the references are unique
    accuracy = sum(int(np.argmax(logits[i]) == y[i]) for i in range(150)) / 150
    assert set(metrics) == {"accuracy", "recall_at_1", "map_at_r"}
    assert metrics["accuracy"] == pytest.approx(accuracy)
    assert metrics["recall_at_1"] == pytest.approx(recall_at_1_loops(emb, y))
    assert metrics["map_at_r"] == pytest.approx(map_at_r_loops(emb, y), abs=1e-6)


@pytest.mark.multi_backend
def test_evaluate_dispatches_through_the_manifest():
    manifest = Manifest({"format_version": 1, "models": {KEY: entry_data()}})
    model = kzoo.load(KEY, pretrained=False, manifest=manifest, progress=False)
    x = np.zeros((2, 100), "float32")
    embedding, logits = model(x)
    assert embedding.shape == (2, 32) and logits.shape == (2, 10)
    report = evaluate(KEY, limit=64, pretrained=False, manifest=manifest, progress=False)
    rows = {r["metric"]: r for r in report["rows"]}
    assert set(rows) == {"accuracy", "recall_at_1", "map_at_r"}
    assert report["dataset"] == "trr_synthetic" and report["split"] == "validation"
    assert all(0.0 <= r["measured"] <= 1.0 and r["recorded"] == 0.1 for r in rows.values())


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"n_informative": 30}, ValueError, "`n_informative`=30"),
        ({"class_sep": 2.0}, ValueError, "Unknown trr_synthetic generator parameter `class_sep`"),
        ({"labels_sha256": "0" * 64}, ValueError, "do not match the entry's `labels_sha256`"),
        ({"data_seed": "0"}, TypeError, "`data_seed` must be an int"),
    ],
)
def test_bad_eval_kwargs(change, error, match):
    data = entry_data()
    entry = ModelEntry.from_dict(KEY, data)
    with pytest.raises(error, match=match):
        trr_synthetic_evaluator(
            None, entry, limit=10, progress=False, **{**data["eval"]["kwargs"], **change}
        )


@pytest.mark.parametrize("limit", [1, 0, 2.5, True])
def test_bad_limit(limit):
    entry = ModelEntry.from_dict(KEY, entry_data())
    with pytest.raises(ValueError, match="`limit` must be an int >= 2"):
        trr_synthetic_evaluator(None, entry, limit=limit, progress=False)


def test_bad_split():
    entry = ModelEntry.from_dict(KEY, entry_data(split="test"))
    with pytest.raises(ValueError, match="`split` must be one of \\('validation',\\)"):
        trr_synthetic_evaluator(None, entry, progress=False)
