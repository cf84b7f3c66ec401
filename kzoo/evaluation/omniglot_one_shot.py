"""The `omniglot_one_shot` evaluator: N-way one-shot accuracy and retrieval on held-out alphabets.

The split: of the 8 alphabets of the Omniglot small background sets (`kzoo.datasets.load_omniglot`,
242 characters x 20 drawers), the evaluation alphabets are `HELDOUT_ALPHABETS`, Balinese (24
characters) and Korean (40): 64 characters, 1,280 drawings. Training recipes train on the other
six (Early_Aramaic, Greek, Japanese_(katakana), Latin, Sanskrit, Tagalog: 178 characters) for
open-set figures; an entry trained on all 8 alphabets is evaluated on the same drawings, which it
has then seen, and says so in its `metrics_split`.

Episodes follow Lake et al.'s protocol for the drawers: an episode draws N characters, and two
distinct drawers A and B; the support set is drawer A's drawing of each character (one shot), the
queries are drawer B's drawings of the same characters, and each query is given the character of
its nearest support by cosine similarity of the embeddings. Characters are drawn across the
evaluation alphabets (`one_shot_{N}way`, as Vinyals et al.'s N-way tasks) and, separately, within
one alphabet (`one_shot_{N}way_within_alphabet`, as Lake et al.'s 20-way task: the alphabet is
drawn uniformly among those with at least N characters). Accuracy is the fraction of correct
queries over all episodes. Every episode has its own generator, seeded by (seed, N, within,
episode index), so a run with fewer episodes is an exact prefix of a longer one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from kzoo.datasets.omniglot import HELDOUT_ALPHABETS, load_evaluation_drawings
from kzoo.evaluation.data_path import named_outputs
from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.utils.validation import check_int
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import register_evaluator

DEFAULT_EPISODES = 1000
DEFAULT_WAYS: tuple[int, ...] = (5, 20)


def one_shot_episodes(
    labels: np.ndarray,
    drawers: np.ndarray,
    ways: int,
    episodes: int,
    seed: int = 0,
    groups: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`(support, query)` index arrays of `ways` drawings each, one pair per episode.

    `support[i]` and `query[i]` are two drawings of the same character by two different drawers,
    the same two drawers for the whole episode. With `groups` (the alphabet of each drawing) all
    of an episode's characters come from one group.
    """
    labels, drawers = np.asarray(labels).reshape(-1), np.asarray(drawers).reshape(-1)
    if len(labels) != len(drawers) or (groups is not None and len(groups) != len(labels)):
        raise ValueError("`labels`, `drawers` and `groups` must have one entry per drawing.")
    ways, episodes = check_int("ways", ways, 1), check_int("episodes", episodes, 1)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative int, got {seed!r}.")
    where: dict[tuple[int, int], int] = {}
    for i, (c, d) in enumerate(zip(labels.tolist(), drawers.tolist(), strict=True)):
        where.setdefault((c, d), i)
    drawn_by: dict[int, set[int]] = {}
    for c, d in where:
        drawn_by.setdefault(c, set()).add(d)
    classes = np.array(sorted(drawn_by))
    if groups is None:
        pools = [classes]
    else:
        group_of = dict(zip(labels.tolist(), np.asarray(groups).reshape(-1).tolist(), strict=True))
        of_class = np.array([group_of[c] for c in classes.tolist()])
        pools = [classes[of_class == g] for g in sorted(set(of_class.tolist()))]
    largest = max(len(p) for p in pools)
    pools = [p for p in pools if len(p) >= ways]
    if not pools:
        scope = "one alphabet" if groups is not None else "the data"
        raise ValueError(
            f"`ways`={ways} needs {ways} characters in {scope}, but the largest holds {largest}."
        )
    within = int(groups is not None)
    out = []
    for episode in range(episodes):
        rng = np.random.default_rng([int(seed), ways, within, episode])
        pool = pools[rng.integers(len(pools))]
        chosen = rng.choice(pool, size=ways, replace=False)
        common = sorted(set.intersection(*(drawn_by[int(c)] for c in chosen)))
        if len(common) < 2:
            raise ValueError(
                f"characters {chosen.tolist()} share fewer than two drawers; one-shot episodes "
                "need a support and a query drawing by different drawers."
            )
        a, b = rng.choice(common, size=2, replace=False)
        support = np.array([where[(int(c), int(a))] for c in chosen])
        query = np.array([where[(int(c), int(b))] for c in chosen])
        out.append((support, query))
    return out


def one_shot_accuracy(
    embeddings: np.ndarray,
    labels: np.ndarray,
    drawers: np.ndarray,
    ways: int,
    episodes: int = DEFAULT_EPISODES,
    seed: int = 0,
    groups: np.ndarray | None = None,
) -> float:
    """N-way one-shot accuracy: nearest support by cosine similarity, over seeded episodes.

    Args:
        embeddings: `(n, dim)` embeddings of the drawings (normalised here).
        labels: character of each drawing.
        drawers: drawer of each drawing.
        ways: N, characters per episode.
        episodes: number of episodes; fewer episodes give a prefix of a longer run.
        seed: seed of the episodes.
        groups: alphabet of each drawing, to draw each episode's characters within one alphabet;
            None draws them across all.

    Example:
    >>> one_shot_accuracy(emb, data.labels, data.drawers, ways=20, groups=data.alphabets)
    """
    e = np.asarray(embeddings, dtype=np.float64)
    if e.ndim != 2 or len(e) != len(np.asarray(labels).reshape(-1)):
        raise ValueError(
            f"`embeddings` must be (n, dim) with one row per label, got shape {e.shape}."
        )
    e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
    correct = total = 0
    for support, query in one_shot_episodes(labels, drawers, ways, episodes, seed, groups):
        nearest = np.argmax(e[query] @ e[support].T, axis=1)
        correct += int(np.sum(nearest == np.arange(ways)))
        total += ways
    return correct / total


def one_shot_metrics(
    embeddings: np.ndarray,
    labels: np.ndarray,
    drawers: np.ndarray,
    alphabets: np.ndarray,
    *,
    ways: Sequence[int] = DEFAULT_WAYS,
    episodes: int = DEFAULT_EPISODES,
    seed: int = 0,
) -> dict[str, float]:
    """`one_shot_{N}way` (across alphabets), `one_shot_{N}way_within_alphabet`, `recall_at_1`
    and `map_at_r` (leave-one-out by cosine) of embeddings of the evaluation drawings."""
    metrics = {}
    for n in ways:
        metrics[f"one_shot_{n}way"] = one_shot_accuracy(
            embeddings, labels, drawers, n, episodes, seed
        )
        metrics[f"one_shot_{n}way_within_alphabet"] = one_shot_accuracy(
            embeddings, labels, drawers, n, episodes, seed, groups=alphabets
        )
    metrics["recall_at_1"] = recall_at_k(embeddings, labels, 1, distance="angular")
    metrics["map_at_r"] = map_at_r(embeddings, labels, distance="angular")
    return metrics


@register_evaluator("omniglot_one_shot")
def omniglot_one_shot(
    model: Any,
    entry: ModelEntry,
    *,
    limit: int | None = None,
    progress: bool = True,
    data_dir: str | os.PathLike | None = None,
    alphabets: Sequence[str] = HELDOUT_ALPHABETS,
    episodes: int = DEFAULT_EPISODES,
    ways: Sequence[int] = DEFAULT_WAYS,
    seed: int = 0,
    batch_size: int = 256,
) -> dict[str, float]:
    """One-shot accuracy and retrieval of a zoo model on Omniglot's held-out alphabets.

    Embeds every drawing of `alphabets` (default Balinese and Korean: 64 characters, 1,280
    drawings, 28×28) with the model's `embedding` output (an ArcFace model's logits are
    ignored), then reports `one_shot_{N}way` and `one_shot_{N}way_within_alphabet` for each N in
    `ways` over `episodes` seeded episodes (see the module docstring for the protocol), and
    `recall_at_1` and `map_at_r` by cosine similarity, leave-one-out over all those drawings.

    `limit` (the CI slice) caps the episodes per setting at `limit`: the slice's episodes are the
    first `limit` of the full run's. Recall@1 and MAP@R always use all the drawings (embedding
    them takes about a second on a CPU).
    """
    if entry.eval.dataset != "omniglot":
        raise ValueError(
            f"the omniglot_one_shot evaluator needs `eval.dataset` 'omniglot', got "
            f"{entry.eval.dataset!r} for {entry.key}."
        )
    shape = entry.input.shape
    if len(shape) != 3 or shape[0] != shape[1]:
        raise ValueError(f"`input.shape` must be (size, size, channels), got {shape!r}.")
    if limit is not None:
        episodes = min(episodes, check_int("limit", limit, 1))
    images, labels, drawers, groups = load_evaluation_drawings(alphabets, shape[0], data_dir)
    named = named_outputs(model, entry, images, batch_size, progress, desc=f"eval {entry.key}")
    embedding = named["embedding"]
    return one_shot_metrics(
        embedding, labels, drawers, groups, ways=ways, episodes=episodes, seed=seed
    )
