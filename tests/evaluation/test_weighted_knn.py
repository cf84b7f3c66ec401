"""The `weighted_knn` evaluator against explicit loops; determinism; what `limit` selects."""

from __future__ import annotations

import json
import math
import sys

import keras
import numpy as np
import pytest
from keras import ops

import kzoo
import kzoo.zoo as zoo
from kzoo.datasets.data_files import DatasetFileError
from kzoo.evaluation import evaluate
from kzoo.evaluation.data_path import load_split, preprocess
from kzoo.evaluation.weighted_knn import CI_REFERENCE_SIZE, pixel_vectors, weighted_knn
from kzoo.testing import TestCase
from kzoo.zoo import ModelEntry
from tests.hub.tiny_zoo import TINY_KEY, TinyL2Normalize, build_tiny_net, tiny_entry

pytestmark = pytest.mark.multi_backend

METRICS = {
    "knn_accuracy",
    "knn1_accuracy",
    "recall_at_1",
    "map_at_r",
    "pixel_knn_accuracy",
    "pixel_knn1_accuracy",
}


def _entry(**kwargs) -> ModelEntry:
    eval_spec = {"evaluator": "weighted_knn", "dataset": "fashion_mnist", "split": "test"}
    data = tiny_entry(eval={**eval_spec, "kwargs": kwargs}, revision=None, files={})
    return ModelEntry.from_dict(TINY_KEY, data)


def _cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def knn_accuracy_loops(queries, query_labels, references, reference_labels, k, tau, classes):
    correct = 0
    for q in range(len(queries)):
        sims = [(_cosine(queries[q], references[j]), j) for j in range(len(references))]
        sims.sort(key=lambda t: -t[0])
        votes = [0.0] * classes
        for sim, j in sims[:k]:
            votes[int(reference_labels[j])] += math.exp(sim / tau)
        best = max(range(classes), key=lambda c: (votes[c], -c))  # first of equal votes
        correct += int(best == query_labels[q])
    return correct / len(queries)


def retrieval_loops(embeddings, labels):
    """(Recall@1, MAP@R) leave-one-out by cosine similarity."""
    hits, aps = 0, []
    for i in range(len(embeddings)):
        others = [j for j in range(len(embeddings)) if j != i]
        others.sort(key=lambda j: -_cosine(embeddings[i], embeddings[j]))
        hits += int(labels[others[0]] == labels[i])
        r = sum(int(labels[j] == labels[i]) for j in others)
        if r == 0:
            continue
        found, ap = 0, 0.0
        for rank, j in enumerate(others[:r], start=1):
            if labels[j] == labels[i]:
                found += 1
                ap += found / rank
        aps.append(ap / r)
    return hits / len(embeddings), sum(aps) / len(aps)


def near_ties(queries, references, k, eps=1e-5) -> int:
    """How many queries have their k-th and (k+1)-th most similar references within `eps`."""
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    r = references / np.linalg.norm(references, axis=1, keepdims=True)
    sims = -np.sort(-(q @ r.T), axis=1)
    return int(np.sum(sims[:, k - 1] - sims[:, k] < eps))


@pytest.fixture(scope="module")
def splits():
    try:
        return load_split("fashion_mnist", "test"), load_split("fashion_mnist", "train")
    except DatasetFileError as error:
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def model():
    """A random projection of the pixels: the tiny zoo net's embeddings (4 pooled ReLU
    channels) tie too often for a neighbour-by-neighbour comparison with the loops."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((28, 28, 1), name="image")
    x = keras.layers.Dense(8, name="project")(keras.layers.Flatten()(inputs))
    embedding = TinyL2Normalize(name="embedding")(x)
    logits = keras.layers.Dense(10, name="logits")(embedding)
    return keras.Model(inputs, [embedding, logits], name="projection_net")


def _fake_split(monkeypatch, sizes={"test": 30, "train": 80}):  # noqa: B006 - read only
    rng = np.random.default_rng(0)
    data = {
        split: (
            rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
            rng.integers(0, 3, size=n).astype(np.uint8),
        )
        for split, n in sizes.items()
    }
    monkeypatch.setattr(
        sys.modules["kzoo.evaluation.weighted_knn"],
        "load_split",
        lambda dataset, split, data_dir: data[split],
    )
    return data


class TestWeightedKNNEvaluator(TestCase):
    def test_registered_on_import(self):
        assert "weighted_knn" in kzoo.zoo.registered_evaluators()
        assert zoo.get_evaluator("weighted_knn") is weighted_knn

    def test_matches_loop_reference(self, splits, model):
        (x_test, y_test), (x_train, y_train) = splits
        entry = _entry()
        limit, refs, k, tau = 40, 150, 7, 0.1
        got = weighted_knn(
            model, entry, limit=limit, progress=False, k=k, temperature=tau, reference_limit=refs
        )
        assert set(got) == METRICS
        q_img, q_lab = x_test[:limit], y_test[:limit].astype(int)
        r_img, r_lab = x_train[:refs], y_train[:refs].astype(int)
        q = ops.convert_to_numpy(model(preprocess(q_img, entry.input), training=False)[0]).astype(
            np.float64
        )
        r = ops.convert_to_numpy(model(preprocess(r_img, entry.input), training=False)[0]).astype(
            np.float64
        )
        q_pix = q_img.reshape(limit, -1).astype(np.float64)  # cosine: the 1/255 scale cancels
        r_pix = r_img.reshape(refs, -1).astype(np.float64)
        recall, map_r = retrieval_loops(q, q_lab)
        expected = {
            "knn_accuracy": knn_accuracy_loops(q, q_lab, r, r_lab, k, tau, 10),
            "knn1_accuracy": knn_accuracy_loops(q, q_lab, r, r_lab, 1, tau, 10),
            "recall_at_1": recall,
            "map_at_r": map_r,
            "pixel_knn_accuracy": knn_accuracy_loops(q_pix, q_lab, r_pix, r_lab, k, tau, 10),
            "pixel_knn1_accuracy": knn_accuracy_loops(q_pix, q_lab, r_pix, r_lab, 1, tau, 10),
        }
        # where the k-th and (k+1)-th similarities differ by less than float32 resolves,
        # either neighbour is right
        ties = {
            "knn_accuracy": near_ties(q, r, k),
            "knn1_accuracy": near_ties(q, r, 1),
            "pixel_knn_accuracy": near_ties(q_pix, r_pix, k),
            "pixel_knn1_accuracy": near_ties(q_pix, r_pix, 1),
        }
        for metric in METRICS:
            slack = ties.get(metric, 0) / limit
            assert abs(got[metric] - expected[metric]) <= slack + 1e-6, (metric, slack)
        assert sum(ties.values()) <= 2  # the comparison is not vacuous
        # the reference loops are not trivially right or wrong for this random net
        assert 0.2 < expected["pixel_knn_accuracy"] < 1.0

    def test_deterministic_and_same_for_plain_callables(self, splits, model):
        entry = _entry()
        kwargs = {"limit": 50, "progress": False, "reference_limit": 200, "k": 20}
        first = weighted_knn(model, entry, **kwargs)
        assert weighted_knn(model, entry, **kwargs) == first

        def plain(x, training=False):
            return model(x, training=training)

        self.assertAllClose(weighted_knn(plain, entry, **kwargs), first, atol=1e-6)

    def test_limit_takes_the_first_queries_and_references(self, monkeypatch, model):
        data = _fake_split(monkeypatch)
        entry = _entry()
        full = weighted_knn(model, entry, progress=False, k=5, reference_limit=10)
        assert CI_REFERENCE_SIZE == 10_000
        (qx, qy), (rx, ry) = data["test"], data["train"]
        q = ops.convert_to_numpy(model(preprocess(qx, entry.input))[0]).astype(np.float64)
        r = ops.convert_to_numpy(model(preprocess(rx, entry.input))[0]).astype(np.float64)
        # without `limit`, `reference_limit` is ignored: every query against every reference
        assert full["knn_accuracy"] == pytest.approx(knn_accuracy_loops(q, qy, r, ry, 5, 0.07, 3))
        sliced = weighted_knn(model, entry, limit=12, progress=False, k=5, reference_limit=25)
        expected = knn_accuracy_loops(q[:12], qy[:12], r[:25], ry[:25], 5, 0.07, 3)
        assert sliced["knn_accuracy"] == pytest.approx(expected)
        pix = pixel_vectors(qx[:12]), pixel_vectors(rx[:25])
        assert sliced["pixel_knn1_accuracy"] == pytest.approx(
            knn_accuracy_loops(pix[0], qy[:12], pix[1], ry[:25], 1, 0.07, 3)
        )
        # a limit beyond the split's size takes all of it
        assert weighted_knn(model, entry, limit=10**6, progress=False, k=5) == full
        no_pixels = weighted_knn(model, entry, limit=12, progress=False, pixel_baseline=False)
        assert set(no_pixels) == METRICS - {"pixel_knn_accuracy", "pixel_knn1_accuracy"}

    def test_pixel_vectors(self):
        images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28) % 251
        vectors = pixel_vectors(images)
        assert vectors.shape == (2, 784) and vectors.dtype == np.float32
        np.testing.assert_allclose(vectors[1, 30], images[1, 1, 2] / 255.0, rtol=1e-6)

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"k": 0}, "`k` must be an int >= 1"),
            ({"k": 2.5}, "`k` must be an int >= 1"),
            ({"temperature": 0.0}, "`temperature` must be > 0"),
            ({"reference_limit": 0}, "`reference_limit` must be an int >= 1"),
            ({"limit": 0}, "`limit` must be an int >= 1"),
            ({"reference_split": "test"}, "`reference_split` must differ"),
        ],
    )
    def test_bad_arguments_name_the_argument(self, monkeypatch, model, kwargs, message):
        _fake_split(monkeypatch)
        with pytest.raises(ValueError, match=message):
            weighted_knn(model, _entry(), progress=False, **kwargs)

    def test_evaluate_passes_the_entry_kwargs(self, tmp_path, monkeypatch, splits):
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        kwargs = {"k": 5, "temperature": 0.1, "reference_limit": 100}
        data = _entry(**kwargs).to_dict()
        data["metrics"] = {"knn_accuracy": 0.5}
        path = tmp_path / "manifest.json"
        manifest = {"format_version": 1, "default_tags": {}, "models": {TINY_KEY: data}}
        path.write_text(json.dumps(manifest))
        report = evaluate(TINY_KEY, limit=30, progress=False, pretrained=False, manifest=path)
        rows = {row["metric"]: row for row in report["rows"]}
        assert set(rows) == METRICS
        direct = weighted_knn(build_tiny_net(seed=0), _entry(), limit=30, progress=False, **kwargs)
        for metric, value in direct.items():
            assert rows[metric]["measured"] == pytest.approx(value)
        assert rows["knn_accuracy"]["recorded"] == 0.5 and rows["map_at_r"]["recorded"] is None
