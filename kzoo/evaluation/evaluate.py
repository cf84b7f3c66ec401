"""`kzoo eval`: re-measure a manifest entry's metrics on its split, beside the recorded ones."""

from __future__ import annotations

import os
from typing import Any

from kzoo.zoo.catalogue import ManifestLike, resolve
from kzoo.zoo.loading import load
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import get_evaluator

DEFAULT_TOLERANCE = 0.005


def evaluate(
    name: str | ModelEntry,
    *,
    limit: int | None = None,
    progress: bool = True,
    manifest: ManifestLike = None,
    revision: str | None = None,
    pretrained: bool = True,
    data_dir: str | os.PathLike | None = None,
    model: Any = None,
) -> dict[str, Any]:
    """Loads the model and measures its metrics with the entry's evaluator.

    Args:
        name: `name`, `name.tag`, or the entry itself (resolved once by the caller).
        limit: the CI slice (the evaluator's first `limit` samples or episodes).
        progress: show progress bars.
        manifest: where to resolve `name` (default: the project's manifest).
        revision: the repository revision to load (default: the pinned commit).
        pretrained: False evaluates the untrained architecture.
        data_dir: dataset folder (default `$KZOO_DATA`).
        model: an already loaded model of this entry (then nothing is loaded).

    Returns `{"key", "dataset", "split", "limit", "tolerance", "recorded_on", "rows": [{"metric",
    "recorded", "measured", "delta", "ok"}]}`; `ok` is `|delta| <= metrics_tolerance`. With
    `limit` None or equal to the entry's `ci_eval.limit` the recorded figures are measured on the
    same samples (`recorded_on` "full split" or "ci slice") and compared; with another `limit`
    they are the full split's (`recorded_on` "full split, not compared"), shown beside the
    measured ones with `ok` None: a slice differs from the whole split by sampling noise.

    Example:
    ```python
    report = kzoo.evaluation.evaluate("sphereface_resnet20", limit=1000)
    ```
    """
    entry = resolve(name, manifest)
    if model is None:
        model = load(
            entry, revision=revision, pretrained=pretrained, include_head=True, progress=progress
        )
    ev = entry.eval
    measured = get_evaluator(ev.evaluator)(
        model, entry, limit=limit, progress=progress, data_dir=data_dir, **ev.kwargs
    )
    tol = float(DEFAULT_TOLERANCE if entry.metrics_tolerance is None else entry.metrics_tolerance)
    recorded = entry.metrics
    ci = entry.ci_eval
    recorded_on = "full split"
    if limit is not None and ci is not None and ci.limit == limit:
        recorded = ci.metrics  # the slice CI re-checks, measured when the entry was recorded
        recorded_on = "ci slice"
    elif limit is not None:
        recorded_on = "full split, not compared"
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
                "ok": (
                    None
                    if recorded_on == "full split, not compared"
                    else delta is not None and abs(delta) <= tol
                ),
            }
        )
    return {
        "key": entry.key,
        "dataset": ev.dataset,
        "split": ev.split,
        "limit": limit,
        "tolerance": tol,
        "recorded_on": recorded_on,
        "rows": rows,
    }
