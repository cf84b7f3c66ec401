"""The omniglot_one_shot evaluator: episodes, accuracy against loops, determinism, the CI slice."""

from __future__ import annotations

import numpy as np
import pytest

import kzoo
from kzoo.datasets.omniglot import HELDOUT_ALPHABETS, alphabet_mask, load_evaluation_drawings
from kzoo.evaluation.omniglot_one_shot import (
    omniglot_one_shot,
    one_shot_accuracy,
    one_shot_episodes,
    one_shot_metrics,
)
from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.testing import TestCase
from kzoo.zoo import get_evaluator
from kzoo.zoo.model_entry import ModelEntry
from tests.hub.tiny_zoo import tiny_entry


def _toy(num_alphabets=3, per_alphabet=(6, 8, 25), num_drawers=5, dim=6, seed=0):
    """Characters in alphabets, every character drawn once by each drawer; noisy embeddings."""
    rng = np.random.default_rng(seed)
    labels, drawers, groups = [], [], []
    c = 0
    for g in range(num_alphabets):
        for _ in range(per_alphabet[g]):
            for d in range(1, num_drawers + 1):
                labels.append(c), drawers.append(d), groups.append(g)
            c += 1
    labels, drawers, groups = map(np.array, (labels, drawers, groups))
    centres = rng.normal(size=(c, dim))
    emb = centres[labels] + 0.9 * rng.normal(size=(len(labels), dim))
    return emb, labels, drawers, groups


def _accuracy_loops(emb, labels, episodes):
    """Nearest support by cosine with explicit loops; ties to the first support."""
    correct = total = 0
    for support, query in episodes:
        for q in query:
            best, best_s = -np.inf, None
            for s in support:
                cos = np.dot(emb[q], emb[s]) / (np.linalg.norm(emb[q]) * np.linalg.norm(emb[s]))
                if cos > best:
                    best, best_s = cos, s
            correct += int(labels[best_s] == labels[q])
            total += 1
    return correct / total


def _episodes_reference(labels, drawers, ways, episodes, seed, groups=None):
    """The documented protocol, written out: a generator per (seed, N, within, episode)."""
    classes = np.unique(labels)
    if groups is None:
        pools = [classes]
    else:
        group = {int(c): int(g) for c, g in zip(labels, groups, strict=True)}
        pools = [
            np.array([c for c in classes if group[int(c)] == g])
            for g in sorted(set(group.values()))
        ]
        pools = [p for p in pools if len(p) >= ways]
    out = []
    for e in range(episodes):
        rng = np.random.default_rng([seed, ways, int(groups is not None), e])
        pool = pools[rng.integers(len(pools))]
        chosen = rng.choice(pool, size=ways, replace=False)
        common = sorted(set.intersection(*(set(drawers[labels == c].tolist()) for c in chosen)))
        a, b = rng.choice(common, size=2, replace=False)
        idx = {(int(c), int(d)): i for i, (c, d) in enumerate(zip(labels, drawers, strict=True))}
        out.append(
            (
                np.array([idx[(int(c), int(a))] for c in chosen]),
                np.array([idx[(int(c), int(b))] for c in chosen]),
            )
        )
    return out


class TestOneShotEpisodes(TestCase):
    @pytest.mark.parametrize("within", [False, True])
    def test_episode_structure(self, within):
        _, labels, drawers, groups = _toy()
        eps = one_shot_episodes(labels, drawers, 5, 50, seed=3, groups=groups if within else None)
        assert len(eps) == 50
        seen_alphabets = set()
        for support, query in eps:
            assert len(support) == len(query) == 5
            assert len(set(labels[support])) == 5
            np.testing.assert_array_equal(labels[support], labels[query])
            assert len(set(drawers[support])) == 1 and len(set(drawers[query])) == 1
            assert drawers[support][0] != drawers[query][0]
            if within:
                assert len(set(groups[support])) == 1
            seen_alphabets |= set(groups[support].tolist())
        assert seen_alphabets == {0, 1, 2}

    def test_within_alphabet_skips_small_alphabets(self):
        _, labels, drawers, groups = _toy()
        eps = one_shot_episodes(labels, drawers, 20, 30, groups=groups)
        assert all(set(groups[s]) == {2} for s, _ in eps)  # only alphabet 2 has 20 characters

    @pytest.mark.parametrize("within", [False, True])
    def test_matches_documented_protocol(self, within):
        _, labels, drawers, groups = _toy()
        g = groups if within else None
        ours = one_shot_episodes(labels, drawers, 5, 40, seed=7, groups=g)
        ref = _episodes_reference(labels, drawers, 5, 40, 7, g)
        for (s, q), (rs, rq) in zip(ours, ref, strict=True):
            np.testing.assert_array_equal(s, rs)
            np.testing.assert_array_equal(q, rq)

    def test_fewer_episodes_are_a_prefix_and_seeds_differ(self):
        _, labels, drawers, _ = _toy()
        long = one_shot_episodes(labels, drawers, 5, 60, seed=1)
        short = one_shot_episodes(labels, drawers, 5, 10, seed=1)
        for (s, q), (ls, lq) in zip(short, long[:10], strict=True):
            np.testing.assert_array_equal(s, ls)
            np.testing.assert_array_equal(q, lq)
        other = one_shot_episodes(labels, drawers, 5, 10, seed=2)
        assert any(not np.array_equal(a[0], b[0]) for a, b in zip(short, other, strict=True))

    def test_bad_arguments(self):
        _, labels, drawers, groups = _toy()
        with pytest.raises(ValueError, match="`ways`=40 needs 40 characters in the data"):
            one_shot_episodes(labels, drawers, 40, 5)
        with pytest.raises(ValueError, match="in one alphabet, but the largest holds 25"):
            one_shot_episodes(labels, drawers, 30, 5, groups=groups)
        with pytest.raises(ValueError, match="`episodes` must be an int >= 1"):
            one_shot_episodes(labels, drawers, 5, 0)
        with pytest.raises(ValueError, match="`ways` must be an int >= 1"):
            one_shot_episodes(labels, drawers, 2.5, 5)
        with pytest.raises(ValueError, match="`seed` must be a non-negative int"):
            one_shot_episodes(labels, drawers, 5, 5, seed=-1)
        with pytest.raises(ValueError, match="one entry per drawing"):
            one_shot_episodes(labels, drawers[:-1], 5, 5)
        keep = ~((labels < 5) & (drawers > 1))  # characters 0-4 drawn by drawer 1 only
        with pytest.raises(ValueError, match="share fewer than two drawers"):
            one_shot_episodes(labels[keep], drawers[keep], 37, 1)
        with pytest.raises(ValueError, match="`embeddings` must be"):
            one_shot_accuracy(np.zeros((3, 2)), labels, drawers, 5)


class TestOneShotAccuracy(TestCase):
    @pytest.mark.parametrize("ways, within", [(5, False), (20, False), (5, True), (20, True)])
    def test_matches_loops(self, ways, within):
        emb, labels, drawers, groups = _toy()
        g = groups if within else None
        got = one_shot_accuracy(emb, labels, drawers, ways, episodes=40, seed=0, groups=g)
        ref = _accuracy_loops(emb, labels, one_shot_episodes(labels, drawers, ways, 40, 0, g))
        assert got == pytest.approx(ref, abs=1e-12)
        assert 1.0 / ways < got < 1.0  # informative embeddings, not perfect

    def test_perfect_and_scale_invariant(self):
        _, labels, drawers, groups = _toy()
        centres = np.random.default_rng(5).normal(size=(labels.max() + 1, 8))
        emb = centres[labels] * np.random.default_rng(6).uniform(0.1, 10, size=(len(labels), 1))
        assert one_shot_accuracy(emb, labels, drawers, 20, 25) == 1.0

    def test_metrics_names_and_retrieval(self):
        emb, labels, drawers, groups = _toy()
        m = one_shot_metrics(emb, labels, drawers, groups, ways=(5,), episodes=30, seed=4)
        assert set(m) == {
            "one_shot_5way",
            "one_shot_5way_within_alphabet",
            "recall_at_1",
            "map_at_r",
        }
        assert m["one_shot_5way"] == one_shot_accuracy(emb, labels, drawers, 5, 30, 4)
        assert m["recall_at_1"] == recall_at_k(emb, labels, 1, distance="angular")
        assert m["map_at_r"] == map_at_r(emb, labels, distance="angular")
        assert m == one_shot_metrics(emb, labels, drawers, groups, ways=(5,), episodes=30, seed=4)


def _entry(dataset="omniglot"):
    ev = {"evaluator": "omniglot_one_shot", "dataset": dataset, "split": "heldout"}
    return ModelEntry.unpublished("pixels.omniglot", tiny_entry(eval=ev, metrics={}))


def _pixels(x, training=False):
    """A stand-in model: [raw pixels as the embedding, dummy logits]."""
    x = np.asarray(x)
    return [x.reshape(len(x), -1), np.zeros((len(x), 3), "float32")]


class TestOmniglotEvaluator(TestCase):
    def test_heldout_split(self):
        images, labels, drawers, groups = load_evaluation_drawings()
        assert HELDOUT_ALPHABETS == ("Balinese", "Korean")
        assert images.shape == (1280, 28, 28) and len(np.unique(labels)) == 64
        assert sorted(np.bincount(groups)[np.bincount(groups) > 0]) == [480, 800]
        assert set(np.unique(drawers)) == set(range(1, 21))
        data = kzoo.datasets.load_omniglot(image_size=28)
        with pytest.raises(ValueError, match=r"`alphabets` names \['Klingon'\] not in"):
            alphabet_mask(data.alphabet_names, data.alphabets, ["Korean", "Klingon"])
        with pytest.raises(ValueError, match="`alphabets` must be a non-empty list"):
            alphabet_mask(data.alphabet_names, data.alphabets, "Korean")

    def test_zoo_dataset_for_load_data(self):
        from kzoo.evaluation.data_path import load_split

        x_test, y_test = load_split("omniglot", "test")
        x_train, y_train = load_split("omniglot", "train")
        images, labels, _, _ = load_evaluation_drawings()
        np.testing.assert_array_equal(x_test, images)
        np.testing.assert_array_equal(y_test, labels)
        assert x_train.shape == (3560, 28, 28) and len(np.unique(y_train)) == 178
        assert not set(y_train.tolist()) & set(y_test.tolist())
        x_small, _ = load_split("omniglot", "test", alphabets=["Korean"], image_size=14)
        assert x_small.shape == (800, 14, 14)

    def test_registered_deterministic_and_limit(self):
        assert get_evaluator("omniglot_one_shot") is omniglot_one_shot
        entry = _entry()
        sliced = omniglot_one_shot(_pixels, entry, limit=25, progress=False)
        assert sliced == omniglot_one_shot(_pixels, entry, limit=25, progress=False)
        assert set(sliced) == {
            "one_shot_5way",
            "one_shot_5way_within_alphabet",
            "one_shot_20way",
            "one_shot_20way_within_alphabet",
            "recall_at_1",
            "map_at_r",
        }
        images, labels, drawers, groups = load_evaluation_drawings()
        pixels = images.reshape(len(images), -1).astype("float32") / 255
        assert sliced == pytest.approx(
            one_shot_metrics(pixels, labels, drawers, groups, episodes=25)
        )
        wider = omniglot_one_shot(_pixels, entry, limit=60, progress=False, ways=(5,))
        assert wider["one_shot_5way"] == pytest.approx(
            one_shot_accuracy(pixels, labels, drawers, 5, 60)
        )
        assert wider["recall_at_1"] == sliced["recall_at_1"]  # retrieval uses every drawing

    def test_bad_entry(self):
        entry = _entry(dataset="mnist")
        with pytest.raises(ValueError, match="needs `eval.dataset` 'omniglot'"):
            omniglot_one_shot(_pixels, entry, limit=5, progress=False)
        with pytest.raises(ValueError, match="`limit` must be an int >= 1"):
            omniglot_one_shot(_pixels, _entry(), limit=0, progress=False)
