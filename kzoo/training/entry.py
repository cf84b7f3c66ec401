"""The one path a run's results leave by: the entry's fields, its evaluation with the zoo's own
evaluator (the code `kzoo eval` runs), and `model.keras` + `entry.json`, validated first."""

from __future__ import annotations

import json
import os
import shlex
import sys
from typing import Any

import keras

from kzoo.training.config import TrainConfig
from kzoo.training.data import IMAGE_FOLDER, dataset_kwargs
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import get_evaluator


def command_line(argv: list[str] | None = None) -> str:
    """`KERAS_BACKEND=<backend> kzoo train <argv>`: the command that reruns this training."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "train":
        argv = argv[1:]
    return f"KERAS_BACKEND={keras.backend.backend()} " + shlex.join(["kzoo", "train", *argv])


def _as_published(key: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {**fields, "repo_id": f"kzoo/{key.split('.')[0]}", "revision": None, "files": {}}


def entry_fields(
    config: TrainConfig,
    run: Any,
    input_spec: dict[str, Any],
    command: str,
    config_path: str | None = None,
    report: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest fields of the run, all but `metrics` (see `Manifest` for their meaning)."""
    ev = config.evaluate
    dataset = ev.dataset or config.data.dataset
    evaluation = {"evaluator": ev.evaluator, "dataset": dataset, "split": ev.split}
    evaluation["kwargs"] = dict(ev.kwargs)
    extra = dict(getattr(run, "eval_extra", {}) or {})
    evaluation["kwargs"].update(extra.pop("kwargs", {}))
    evaluation.update(extra)
    if dataset == IMAGE_FOLDER:
        evaluation["dataset_kwargs"] = dataset_kwargs(config)
    elif dataset == "omniglot" and "image_size" in config.data.kwargs:
        evaluation["dataset_kwargs"] = {"image_size": config.data.kwargs["image_size"]}
    size = int(run.model.outputs[run.outputs.index("embedding")].shape[-1])
    description = config.entry.description or (
        f"{config.model.backbone} with a {config.objective.kind} objective, trained on "
        f"{dataset} ({config.schedule.epochs} epochs) with `kzoo train`."
    )
    fields = {
        "architecture": run.architecture,
        "input": dict(input_spec),
        "outputs": list(run.outputs),
        "embedding_size": size,
        "classes": run.classes,
        "eval": evaluation,
        "recipe": {
            "script": config_path or "kzoo train",
            "command": command,
            "args": config.to_dict(),
        },
        "license": config.entry.license,
        "papers": [dict(p) for p in config.entry.papers],
        "tags": list(config.entry.tags),
        "datasets": [config.data.dataset],
        "description": description.format(c=config, r=report or {}),
        "parameters": int(run.model.count_params()),
    }
    if config.entry.metrics_split:
        fields["metrics_split"] = config.entry.metrics_split.format(c=config, r=report or {})
    ModelEntry.from_dict(config.name, _as_published(config.name, {**fields, "metrics": {}}))
    return fields


def evaluate(
    model: keras.Model, key: str, fields: dict[str, Any], limit: int | None = None
) -> dict[str, float]:
    """The entry's metrics, measured by its registered evaluator, rounded to 4 digits."""
    probe = ModelEntry.from_dict(key, _as_published(key, {**fields, "metrics": {}}))
    ev = fields["eval"]
    metrics = get_evaluator(ev["evaluator"])(
        model, probe, limit=limit, progress=False, **ev.get("kwargs", {})
    )
    return {k: round(float(v), 4) for k, v in sorted(metrics.items())}


def write_outputs(out: str, key: str, model: keras.Model, fields: dict[str, Any]) -> None:
    """Validates the entry, saves `model.keras`, loads it back (safe mode) and checks its outputs
    against the entry, then writes `entry.json`; nothing is left half-written on a failure."""
    ModelEntry.from_dict(key, _as_published(key, fields))
    if len(model.outputs) != len(fields["outputs"]):
        raise ValueError(
            f"the model has {len(model.outputs)} outputs but the entry names {fields['outputs']}."
        )
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    if [tuple(w.shape) for w in loaded.weights] != [tuple(w.shape) for w in model.weights]:
        os.remove(path)
        raise ValueError(f"{path} does not load back with the trained model's weights.")
    with open(os.path.join(out, "entry.json"), "w", encoding="utf-8") as f:
        json.dump(fields, f, indent=2, sort_keys=True, ensure_ascii=False)
