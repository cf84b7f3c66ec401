"""The `classification` evaluator: top-1 accuracy of the logits, retrieval of the embeddings."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from kzoo.evaluation.data_path import load_split, named_outputs
from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import register_evaluator


@register_evaluator("classification")
def classification(
    model: Any,
    entry: ModelEntry,
    *,
    limit: int | None = None,
    progress: bool = True,
    data_dir: str | os.PathLike | None = None,
    batch_size: int = 256,
) -> dict[str, float]:
    """Top-1 `accuracy` of the logits; `recall_at_1` and `map_at_r` of the embeddings by cosine
    similarity, leave-one-out within the entry's split.

    Args:
        model: maps preprocessed inputs to the outputs named in `entry.outputs`.
        entry: the zoo entry (`input`, `outputs`, `eval.dataset`, `eval.split`).
        limit: evaluate the first `limit` samples only (a CI slice).
        progress: show a progress bar.
        data_dir: dataset folder (default `$KZOO_DATA`).
        batch_size: inputs per forward pass.

    Example:
    ```python
    metrics = kzoo.zoo.get_evaluator("classification")(model, entry, limit=1000)
    ```
    """
    ev = entry.eval
    images, labels = load_split(ev.dataset, ev.split, data_dir, **(ev.dataset_kwargs or {}))
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    named = named_outputs(model, entry, images, batch_size, progress, desc=f"eval {entry.key}")
    labels = labels.astype("int64")
    metrics = {
        "recall_at_1": recall_at_k(named["embedding"], labels, 1, distance="angular"),
        "map_at_r": map_at_r(named["embedding"], labels, distance="angular"),
    }
    if "logits" in named:
        metrics["accuracy"] = float(np.mean(np.argmax(named["logits"], axis=1) == labels))
    return metrics
