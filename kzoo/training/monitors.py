"""Callbacks of every run: a held-out score per epoch (and a learning curve), the batches' epoch,
the epoch time, and the learning-curve plot."""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable

import keras

from kzoo.utils.atomic_write import atomic_write


class ScoreMonitor(keras.callbacks.Callback):
    """Adds `name: score()` to each epoch's logs and appends it to `curve_path` (CSV
    `epoch,<name>`), `points_per_epoch` times an epoch (mid-epoch points for learning curves).
    The first epoch to run drops the curve's points past it: those of an interrupted epoch that
    a resumed run trains again, or of an earlier run into the same folder.

    `score()` reads the inference model, which shares its weights with the model being fit."""

    def __init__(
        self,
        score: Callable[[], float],
        name: str,
        steps_per_epoch: int,
        points_per_epoch: int = 1,
        curve_path: str | None = None,
    ) -> None:
        super().__init__()
        self.score, self.name, self.curve_path = score, name, curve_path
        self.steps_per_epoch = steps_per_epoch
        self.every = max(1, steps_per_epoch // max(1, points_per_epoch))
        self.epoch = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.epoch is None and self.curve_path and os.path.exists(self.curve_path):
            self.trim(epoch)
        self.epoch = epoch

    def trim(self, epoch: int) -> None:
        with open(self.curve_path, encoding="utf-8") as f:
            rows = f.read().splitlines()[1:]
        kept = [row for row in rows if float(row.split(",")[0]) <= epoch]
        text = "\n".join([f"epoch,{self.name}", *kept]) + "\n"
        atomic_write(self.curve_path, lambda f: f.write(text.encode("utf-8")))

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        step = batch + 1
        if self.curve_path and step % self.every == 0 and step < self.steps_per_epoch:
            if hasattr(self.model, "jax_state_sync"):
                self.model.jax_state_sync()  # JAX keeps the weights off the model mid-epoch
            self.record(self.epoch + step / self.steps_per_epoch, self.score())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = float(self.score())
        if logs is not None:
            logs[self.name] = value
        if self.curve_path:
            self.record(epoch + 1.0, value)
        print(f"\nepoch {epoch + 1}: {self.name} {value:.4f}", flush=True)

    def record(self, epoch: float, value: float) -> None:
        new = not os.path.exists(self.curve_path)
        with open(self.curve_path, "a", encoding="utf-8") as f:
            f.write(f"epoch,{self.name}\n" if new else "")
            f.write(f"{epoch:.4f},{value:.4f}\n")


class EpochSync(keras.callbacks.Callback):
    """Tells the batches which epoch runs (a resumed run reshuffles as the first run did) and
    adds the epoch's wall time (`epoch_minutes`) to the logs."""

    def __init__(self, batches: keras.utils.PyDataset) -> None:
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if hasattr(self.batches, "set_epoch"):
            self.batches.set_epoch(epoch)
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["epoch_minutes"] = (time.perf_counter() - self.start) / 60


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def plot_history(history_csv: str, path: str) -> str | None:
    """Plots every column of the CSV log against the epoch into `path` (PNG); None without
    matplotlib or rows."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    with open(history_csv, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    skip = ("epoch", "epoch_minutes", "learning_rate")
    columns = [c for c in rows[0] if c not in skip and any(r[c] not in ("", "NA") for r in rows)]
    epochs = [int(r["epoch"]) + 1 for r in rows]
    fig, axes = plt.subplots(1, len(columns), figsize=(3.2 * len(columns), 2.8), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        values = [_number(r[column]) for r in rows]
        ax.plot(epochs, values, marker="o")
        ax.set_title(column)
        ax.set_xlabel("epoch")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
