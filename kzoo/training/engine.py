"""`train(config, out)`: the one training loop behind `kzoo train` and every zoo entry."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import keras
import numpy as np

from kzoo.callbacks import WeightedKNNMonitor
from kzoo.datasets.omniglot import load_evaluation_drawings
from kzoo.evaluation import predict
from kzoo.evaluation.omniglot_one_shot import one_shot_accuracy
from kzoo.training import distribution
from kzoo.training import entry as entry_io
from kzoo.training.config import TrainConfig
from kzoo.training.data import load_test_data, load_training_data, preprocess
from kzoo.training.monitors import EpochSync, ScoreMonitor, plot_history
from kzoo.training.objectives import Run, build_run
from kzoo.training.optimization import build_optimizer
from kzoo.training.trr import build_trr_run
from kzoo.version import __version__


class TrainingDiverged(RuntimeError):
    """The loss became NaN / inf (`TerminateOnNaN` stopped the run); nothing was written."""


def setup_devices(config: TrainConfig) -> None:
    """Lays the run over `devices` (data parallel) and `shard_heads` (the head's class axis
    split over them) with `kzoo.training.distribution.setup`, before any model is built."""
    if config.devices == 1 and not config.shard_heads:
        return
    if keras.backend.backend() != "jax":
        raise NotImplementedError(
            f"`devices`={config.devices} / `shard_heads`={config.shard_heads} needs the JAX "
            f"backend (keras.distribution), not {keras.backend.backend()}: set KERAS_BACKEND=jax."
        )
    distribution.setup(devices=config.devices, shard_heads=config.shard_heads)


def _monitor(config: TrainConfig, run: Run, data: Any, steps: int, out: str) -> list:
    kind = config.evaluate.monitor
    if kind == "auto":
        kind = {"head": "accuracy", "instdisc": "knn", "trr": "val_accuracy"}.get(
            config.objective.kind, "none"
        )
        if config.data.dataset == "omniglot":
            kind = "one_shot"
    limit = config.evaluate.monitor_limit or None
    curve = os.path.join(out, "curve.csv")
    points = config.evaluate.curve_points
    if kind == "none":
        return []
    if kind == "accuracy":
        x, y = load_test_data(config, data.input_spec)
        x, y = x[:limit], y[:limit]
        index = run.outputs.index("logits")

        def accuracy() -> float:
            logits = predict(run.model, x, progress=False)[index]
            return float(np.mean(np.argmax(logits, axis=1) == y))

        return [ScoreMonitor(accuracy, "test_accuracy", steps, points, curve)]
    if kind == "one_shot":
        images, labels, drawers, _ = load_evaluation_drawings(
            image_size=data.input_spec["shape"][0]
        )
        x = preprocess(images, data.input_spec)
        episodes = config.evaluate.monitor_episodes

        def one_shot() -> float:
            embedding = predict(run.model, x, progress=False)[0]
            return one_shot_accuracy(embedding, labels, drawers, 20, episodes)

        return [ScoreMonitor(one_shot, "eval_one_shot_20way", steps, 1, curve)]
    if kind == "knn":
        x, y = load_test_data(config, data.input_spec)
        kw = {"k": 200, "temperature": 0.07, **config.evaluate.kwargs}
        return [
            WeightedKNNMonitor(
                run.model,
                (x[:limit], y[:limit]),
                (None, data.y.astype("int64")),
                memory_bank=run.memory_bank,
                k=kw["k"],
                temperature=kw["temperature"],
                verbose=1,
            )
        ]
    if kind == "val_accuracy":
        encoder, x, y = data["encoder"], data["x"], data["y"]

        def validation() -> float:
            logits = encoder.predict(x, batch_size=2048, verbose=0)
            return float(np.mean(np.argmax(logits, axis=-1) == y))

        return [ScoreMonitor(validation, "val_accuracy", steps, 1, curve)]
    raise ValueError(
        f"`evaluate.monitor` must be auto, none, accuracy, one_shot, knn or val_accuracy, got "
        f"{kind!r}."
    )


def train(
    config: TrainConfig,
    out: str,
    *,
    backup_dir: str | None = None,
    verbose: str | int = "auto",
    command: str | None = None,
    config_path: str | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> dict[str, Any]:
    """Trains the run `config` describes and writes into `out`: `history.csv` (per-epoch logs),
    `curve.csv` (the monitored score), `curves.png`, `model.keras`, `entry.json` (validated,
    metrics measured by the entry's evaluator) and `run.json`.

    `backup_dir` (default `out/backup`) holds the `BackupAndRestore` state: rerun the same
    command to resume. `callbacks` run after the engine's. Returns the run's record
    (`run.json`). Raises `TrainingDiverged` when the loss becomes NaN.
    """
    config.validate()
    setup_devices(config)
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    if config.objective.kind == "trr":
        run, data = build_trr_run(config)
        spec = run.input_spec
    else:
        data = load_training_data(config)
        run = build_run(config, data)
        spec = data.input_spec
    steps = config.schedule.steps_per_epoch or len(run.batches)
    run.trainer.compile(
        optimizer=build_optimizer(config, steps), loss=run.loss, metrics=run.metrics
    )
    early = []
    if config.schedule.patience:
        early = [
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy" if config.objective.kind == "trr" else "test_accuracy",
                mode="max",
                patience=config.schedule.patience,
            )
        ]
    every_callback = [
        EpochSync(run.batches),
        *_monitor(config, run, data, steps, out),
        *early,
        *run.callbacks,
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.BackupAndRestore(backup_dir or os.path.join(out, "backup")),
        keras.callbacks.CSVLogger(os.path.join(out, "history.csv"), append=True),
        *(callbacks or []),
    ]
    print(
        f"{config.name}: {steps} steps x {config.schedule.epochs} epochs, "
        f"{run.model.count_params():,} parameters, {keras.backend.backend()} backend",
        flush=True,
    )
    start = time.perf_counter()
    history = run.trainer.fit(
        run.batches,
        epochs=config.schedule.epochs,
        steps_per_epoch=config.schedule.steps_per_epoch or None,
        callbacks=every_callback,
        verbose=verbose,
    )
    minutes = (time.perf_counter() - start) / 60
    losses = history.history.get("loss", [])
    if losses and not np.isfinite(losses[-1]):
        raise TrainingDiverged(f"{config.name}: the loss became {losses[-1]}; nothing written.")
    record: dict[str, Any] = {
        "key": config.name,
        "backend": keras.backend.backend(),
        "training_minutes": round(minutes, 2),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "kzoo": __version__,
    }
    for name in ("val_accuracy", "test_accuracy"):
        values = record["history"].get(name)
        if values:
            record["best_" + name] = max(values)
            record["best_epoch"] = int(np.argmax(values)) + 1
    record["epochs_run"] = len(losses)
    if config.devices > 1 or config.shard_heads:
        record["distribution"] = distribution.describe(run.model)
    if run.report is not None:
        record.update(run.report())
    plot_history(os.path.join(out, "history.csv"), os.path.join(out, "curves.png"))

    command = command or entry_io.command_line()
    fields = entry_io.entry_fields(config, run, spec, command, config_path, record)
    limit = config.evaluate.limit or None
    fields["metrics"] = entry_io.evaluate(run.model, config.name, fields, limit)
    fields["metrics_command"] = f"kzoo eval {config.name}"
    if limit:
        fields["metrics_split"] = (
            f"first {limit} samples of {fields['eval']['dataset']}/{fields['eval']['split']} "
            "(smoke run: re-measure the whole split with `kzoo eval`)"
        )
    if config.evaluate.ci_limit:
        ci = config.evaluate.ci_limit
        fields["ci_eval"] = {
            "limit": ci,
            "metrics": entry_io.evaluate(run.model, config.name, fields, ci),
            "command": f"kzoo eval {config.name} --limit {ci}",
        }
    print(f"{config.name}: " + ", ".join(f"{k} {v:.4f}" for k, v in fields["metrics"].items()))
    entry_io.write_outputs(out, config.name, run.model, fields)
    record["metrics"] = fields["metrics"]
    with open(os.path.join(out, "run.json"), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
    print(f"wrote {out}/model.keras, entry.json and run.json")
    return record
