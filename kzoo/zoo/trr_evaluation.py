"""The zoo evaluator and dataset `trr_synthetic`: the TRR seed's synthetic data, regenerated.

Registered on `import kzoo`. An entry names it with `"eval": {"evaluator": "trr_synthetic",
"dataset": "trr_synthetic", "split": "validation", "kwargs": {...}}`; the kwargs record how the
data were drawn (`data_seed` and the `make_classification` parameters) and a sha256 of the
validation labels, so a changed generator fails loudly instead of scoring other data;
`"dataset_kwargs": {"n_train", "seed", "data_seed"}` give `kzoo.zoo.load_data` the training set.
"""

from __future__ import annotations

import functools
import hashlib
import os
from typing import Any

import numpy as np

from kzoo.datasets.trr_synthetic import (
    TRR_CLUSTERS_PER_CLASS,
    TRR_NUM_CLASSES,
    TRR_NUM_FEATURES,
    TRR_NUM_INFORMATIVE,
    TRR_NUM_REDUNDANT,
    TRR_POOL_TRAIN_SIZE,
    TRR_VALIDATION_SIZE,
    trr_synthetic,
)
from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.zoo.evaluation import predict, preprocess
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import register_dataset, register_evaluator

SPLITS = ("validation",)


def generator_parameters() -> dict[str, int]:
    """The `make_classification` parameters `kzoo.datasets.trr_synthetic` draws with."""
    return {
        "n_classes": TRR_NUM_CLASSES,
        "n_features": TRR_NUM_FEATURES,
        "n_informative": TRR_NUM_INFORMATIVE,
        "n_redundant": TRR_NUM_REDUNDANT,
        "n_clusters_per_class": TRR_CLUSTERS_PER_CLASS,
        "pool_train_size": TRR_POOL_TRAIN_SIZE,
        "validation_size": TRR_VALIDATION_SIZE,
    }


def fingerprint_labels(labels: np.ndarray) -> str:
    """sha256 of the labels as little-endian int64: the fingerprint an entry records."""
    return hashlib.sha256(np.asarray(labels).astype("<i8").tobytes()).hexdigest()


@functools.lru_cache(maxsize=2)
def _draw_validation(data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    _, split = trr_synthetic(1, seed=0, data_seed=data_seed)
    x_val, y_val = (a.copy() for a in split)  # views of the whole pool: keep only the split
    x_val.setflags(write=False)
    y_val.setflags(write=False)
    return x_val, y_val


def validation_split(
    data_seed: int = 0, *, labels_sha256_expected: str | None = None, **generator: int
) -> tuple[np.ndarray, np.ndarray]:
    """`(x_val, y_val)` of `trr_synthetic(..., data_seed=data_seed)`: float32 `(10000, 100)`
    features and int64 labels (read-only, cached), identical for every training size and
    training seed.

    `generator` holds the recorded `make_classification` parameters; each must equal the one
    kzoo draws with (`generator_parameters()`), else a `ValueError` names it.
    """
    if isinstance(data_seed, bool) or not isinstance(data_seed, (int, np.integer)):
        raise TypeError(f"`data_seed` must be an int, got {data_seed!r}.")
    _check_generator(generator)
    x_val, y_val = _draw_validation(int(data_seed))
    if labels_sha256_expected is not None and fingerprint_labels(y_val) != labels_sha256_expected:
        raise ValueError(
            "The regenerated validation labels do not match the entry's `labels_sha256` "
            f"({fingerprint_labels(y_val)} != {labels_sha256_expected}): scikit-learn's "
            "make_classification draws differently in this version."
        )
    return x_val, y_val


def _check_generator(generator: dict[str, Any]) -> None:
    current = generator_parameters()
    for name, value in generator.items():
        if name not in current:
            raise ValueError(
                f"Unknown trr_synthetic generator parameter `{name}`={value!r}; known: "
                f"{', '.join(sorted(current))}."
            )
        if value != current[name]:
            raise ValueError(
                f"The entry was evaluated on data drawn with `{name}`={value!r}, but "
                f"kzoo.datasets.trr_synthetic draws with {name}={current[name]!r}: this kzoo "
                "cannot regenerate that validation set."
            )


@register_dataset("trr_synthetic")
def trr_synthetic_split(
    split: str,
    data_dir: str | os.PathLike | None = None,
    *,
    n_train: int = 10_000,
    seed: int = 0,
    data_seed: int = 0,
    **generator: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The zoo dataset `trr_synthetic` (`kzoo.zoo.load_data`, `kzoo export`): `"train"` is the
    `n_train`-sample training set drawn with `seed`, `"test"` the held-out 10,000-sample split
    (the seed's validation set, the entries' `validation` split: there is no other held-out
    split). Entries record `n_train`, `seed` and `data_seed` in `eval["dataset_kwargs"]`.
    """
    del data_dir  # generated, not read
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    if split == "test":
        return validation_split(data_seed, **generator)
    _check_generator(generator)
    return trr_synthetic(n_train, seed=seed, data_seed=data_seed)[0]


@register_evaluator("trr_synthetic")
def trr_synthetic_evaluator(
    model: Any,
    entry: ModelEntry,
    *,
    limit: int | None = None,
    progress: bool = True,
    data_dir: str | os.PathLike | None = None,
    batch_size: int = 2048,
    data_seed: int = 0,
    labels_sha256: str | None = None,
    **generator: int,
) -> dict[str, float]:
    """Top-1 `accuracy` of the logits; `recall_at_1` and `map_at_r` of the embeddings by
    Euclidean distance (the TRR loss's), leave-one-out; on the TRR synthetic validation split
    or its first `limit` samples.

    Args:
        model: a zoo model whose outputs are named by `entry.outputs` (`embedding`, `logits`).
        entry: its manifest entry; `entry.input` gives the input shape (the features are used
            as drawn: scale 1, offset 0).
        limit: evaluate the first `limit` validation samples only (a CI slice).
        progress: show a progress bar.
        data_dir: unused (the data are generated, not read).
        batch_size: inference batch size.
        data_seed: the `trr_synthetic` pool's seed.
        labels_sha256: the validation labels' fingerprint (`fingerprint_labels`), checked if given.
        **generator: the recorded `make_classification` parameters (`generator_parameters()`).

    Example:
    >>> entry = kzoo.zoo.get_manifest().resolve("trr_mlp.synthetic_no_trr")
    >>> model = kzoo.load(entry.key)
    >>> kzoo.zoo.get_evaluator("trr_synthetic")(model, entry, limit=1000)
    {'accuracy': ..., 'map_at_r': ..., 'recall_at_1': ...}

    Reference: the TRR seed (seed 000), Table 1 (validation accuracy on 10,000 samples).
    """
    del data_dir
    if entry.eval.get("split") not in SPLITS:
        raise ValueError(
            f"`split` must be one of {SPLITS} for the trr_synthetic evaluator, got "
            f"{entry.eval.get('split')!r}."
        )
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 2
    ):
        raise ValueError(f"`limit` must be an int >= 2 or None, got {limit!r}.")
    x, y = validation_split(data_seed, labels_sha256_expected=labels_sha256, **generator)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    spec = {"scale": 1.0, "offset": 0.0, **entry.input}
    outputs = predict(model, preprocess(x, spec), batch_size, progress, desc=f"eval {entry.key}")
    named = dict(zip(entry.outputs, outputs, strict=True))
    metrics = {
        "recall_at_1": recall_at_k(named["embedding"], y, 1, distance="l2"),
        "map_at_r": map_at_r(named["embedding"], y, distance="l2"),
    }
    if "logits" in named:
        metrics["accuracy"] = float(np.mean(np.argmax(named["logits"], axis=1) == y))
    return metrics
