"""`kzoo eval`: re-measure a manifest entry's metrics on its split, beside the recorded ones.

Evaluators are registered by name (`kzoo.zoo.register_evaluator`); the training recipes add their
own. `classification` (top-1 accuracy of the logits, Recall@1 of the cosine nearest neighbour among
the evaluated embeddings) is built in.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from keras import ops
from tqdm.auto import tqdm

from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.zoo.loading import ManifestLike, get_manifest, load
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import get_dataset, get_evaluator, register_dataset, register_evaluator

DEFAULT_TOLERANCE = 0.005


def _labelled_images(loader_name: str) -> Any:
    def load(
        split: str, data_dir: str | os.PathLike | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        from kzoo import datasets

        train, test = getattr(datasets, loader_name)(data_dir)
        return train if split == "train" else test

    return load


register_dataset("mnist", _labelled_images("load_mnist"))
register_dataset("fashion_mnist", _labelled_images("load_fashion_mnist"))


def load_split(
    dataset: str,
    split: str,
    data_dir: str | os.PathLike | None = None,
    **kwargs: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels) of `split` ('train' or 'test') of a registered dataset (raw inputs)."""
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    return get_dataset(dataset)(split, data_dir, **kwargs)


def preprocess(images: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """`images * scale + offset`, then `(x - mean) / std` if given, in the input shape."""
    x = images.astype("float32") * float(spec.get("scale", 1 / 255)) + float(
        spec.get("offset", 0.0)
    )
    if "mean" in spec:
        x = (x - float(spec["mean"])) / float(spec.get("std", 1.0))
    return x.reshape((len(x), *spec["shape"])).astype(spec.get("dtype", "float32"))


def load_data(
    name: str, *, manifest: ManifestLike = None, data_dir: str | os.PathLike | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Model-ready `(x_train, y_train), (x_test, y_test)` of a zoo entry's evaluation dataset."""
    entry: ModelEntry = get_manifest(manifest).resolve(name)
    splits = []
    for split in ("train", "test"):
        images, labels = load_split(
            entry.eval["dataset"], split, data_dir, **entry.eval.get("dataset_kwargs", {})
        )
        splits.append((preprocess(images, entry.input), labels.astype("int64")))
    return splits[0], splits[1]


def predict(
    model: Any, x: np.ndarray, batch_size: int = 256, progress: bool = True, desc: str = "eval"
) -> list:
    """The model's outputs on `x`, batch by batch with a progress bar; always a list of arrays."""
    chunks: list[list[np.ndarray]] = []
    starts = range(0, len(x), batch_size)
    for start in tqdm(starts, desc=desc, unit="batch", disable=not progress, leave=False):
        out = model(x[start : start + batch_size], training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        chunks.append([np.asarray(ops.convert_to_numpy(o)) for o in out])
    return [np.concatenate(parts) for parts in zip(*chunks, strict=True)]


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
    similarity, leave-one-out within the entry's split."""
    images, labels = load_split(entry.eval["dataset"], entry.eval["split"], data_dir)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    outputs = predict(
        model, preprocess(images, entry.input), batch_size, progress, desc=f"eval {entry.key}"
    )
    named = dict(zip(entry.outputs, outputs, strict=True))
    labels = labels.astype("int64")
    metrics = {
        "recall_at_1": recall_at_k(named["embedding"], labels, 1, distance="angular"),
        "map_at_r": map_at_r(named["embedding"], labels, distance="angular"),
    }
    if "logits" in named:
        metrics["accuracy"] = float(np.mean(np.argmax(named["logits"], axis=1) == labels))
    return metrics


def evaluate(
    name: str,
    *,
    limit: int | None = None,
    progress: bool = True,
    manifest: ManifestLike = None,
    revision: str | None = None,
    pretrained: bool = True,
    data_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Loads the model and measures its metrics with the entry's evaluator.

    Returns `{"key", "dataset", "split", "limit", "rows": [{"metric", "recorded", "measured",
    "delta", "ok"}]}`; `ok` is `|delta| <= metrics_tolerance`. With `limit` equal to the entry's
    `ci_eval.limit` the recorded figures are that slice's, else the full split's.
    """
    entry: ModelEntry = get_manifest(manifest).resolve(name)
    model = load(
        entry.key,
        revision=revision,
        pretrained=pretrained,
        include_head=True,
        manifest=manifest,
        progress=progress,
    )
    ev = entry.eval
    measured = get_evaluator(ev["evaluator"])(
        model, entry, limit=limit, progress=progress, data_dir=data_dir, **ev.get("kwargs", {})
    )
    tol = float(entry.data.get("metrics_tolerance", DEFAULT_TOLERANCE))
    recorded = entry.metrics
    ci = entry.data.get("ci_eval")
    if limit is not None and ci and ci.get("limit") == limit:
        recorded = ci["metrics"]  # the slice CI re-checks, measured when the entry was recorded
    rows = []
    for metric in sorted(set(measured) | set(recorded)):
        rec, got = recorded.get(metric), measured.get(metric)
        delta = None if rec is None or got is None else float(got) - float(rec)
        rows.append(
            {
                "metric": metric,
                "recorded": rec,
                "measured": got,
                "delta": delta,
                "ok": delta is not None and abs(delta) <= tol,
            }
        )
    return {
        "key": entry.key,
        "dataset": ev["dataset"],
        "split": ev["split"],
        "limit": limit,
        "tolerance": tol,
        "rows": rows,
    }
