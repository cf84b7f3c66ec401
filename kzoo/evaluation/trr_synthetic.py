"""The `trr_synthetic` evaluator: the TRR seed's synthetic validation split, regenerated.

Registered on `import kzoo` (the dataset of the same name is registered by `kzoo.datasets`). An
entry names it with `"eval": {"evaluator": "trr_synthetic", "dataset": "trr_synthetic", "split":
"validation", "kwargs": {...}}`; the kwargs record how the data were drawn (`data_seed` and the
`make_classification` parameters) and a sha256 of the validation labels, so a changed generator
fails loudly instead of scoring other data; `"dataset_kwargs": {"n_train", "seed", "data_seed"}`
give `kzoo.evaluation.load_data` the training set.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from kzoo.datasets.trr_synthetic import validation_split
from kzoo.evaluation.data_path import named_outputs
from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.utils.validation import check_int
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import register_evaluator

SPLITS = ("validation",)


@register_evaluator("trr_synthetic")
def trr_synthetic(
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
    if entry.eval.split not in SPLITS:
        raise ValueError(
            f"`split` must be one of {SPLITS} for the trr_synthetic evaluator, got "
            f"{entry.eval.split!r}."
        )
    if limit is not None:
        limit = check_int("limit", limit, 2)
    x, y = validation_split(data_seed, labels_sha256_expected=labels_sha256, **generator)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    named = named_outputs(model, entry, x, batch_size, progress, desc=f"eval {entry.key}")
    metrics = {
        "recall_at_1": recall_at_k(named["embedding"], y, 1, distance="l2"),
        "map_at_r": map_at_r(named["embedding"], y, distance="l2"),
    }
    if "logits" in named:
        metrics["accuracy"] = float(np.mean(np.argmax(named["logits"], axis=1) == y))
    return metrics
