"""The engine end to end on a few steps: each objective writes a valid entry and a model that
loads back and scores what the entry records; an image folder trains like a built-in dataset."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from kzoo.training import TrainingDiverged, load_config, train
from kzoo.training.monitors import ScoreMonitor
from kzoo.zoo import ModelEntry, get_evaluator

CONFIGS = Path(__file__).resolve().parents[2] / "training" / "configs"
OMNIGLOT_TINY = [
    "schedule.epochs=1",
    "schedule.steps_per_epoch=2",
    'model.backbone_kwargs={"width": 8}',
    "evaluate.kwargs.episodes=20",
    "evaluate.ci_limit=10",
    "evaluate.monitor_episodes=20",
]
CNN_TINY = ['model.backbone_kwargs={"width": 4}', "data.train_limit=64", "evaluate.limit=64"]


def run_tiny(key: str, overrides: list[str], out: Path) -> tuple[ModelEntry, dict]:
    config = load_config(CONFIGS / f"{key}.toml", overrides)
    record = train(config, str(out), verbose=0, command="kzoo train (test)")
    fields = json.loads((out / "entry.json").read_text())
    data = {**fields, "repo_id": "kzoo/x", "revision": None, "files": {}}
    return ModelEntry.from_dict(key, data), record


def assert_scores_as_recorded(entry: ModelEntry, out: Path, limit: int | None) -> None:
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    evaluator = get_evaluator(entry.eval.evaluator)
    again = evaluator(model, entry, limit=limit, progress=False, **entry.eval.kwargs)
    assert {k: round(v, 4) for k, v in again.items()} == pytest.approx(entry.metrics, abs=1e-3)


def test_head_run_with_every_option_writes_an_entry_that_scores_as_recorded(tmp_path):
    overrides = [
        'model.backbone_kwargs={"width": 8}',
        "data.train_limit=256",
        "schedule.epochs=2",
        "schedule.steps_per_epoch=2",
        "schedule.warmup_epochs=1",
        "objective.label_smoothing=0.1",
        "optimizer.ema=true",
        "augment.shift=2",
        "augment.rotation=10",
        "evaluate.limit=200",
        "evaluate.monitor_limit=200",
        "evaluate.curve_points=2",
    ]
    entry, record = run_tiny("lsoftmax_cnn.mnist", overrides, tmp_path)
    assert entry.outputs == ["embedding", "logits"] and entry.classes == 10
    assert entry.architecture.kwargs["backbone_kwargs"] == {"width": 8}
    assert entry.recipe.args["objective"]["label_smoothing"] == 0.1
    assert entry.recipe.command == "kzoo train (test)"
    assert "2 epochs" in entry.description and "smoke run" in entry.metrics_split
    assert set(entry.metrics) == {"accuracy", "recall_at_1", "map_at_r"}
    assert record["epochs_run"] == 2 and len(record["history"]["test_accuracy"]) == 2
    assert "margin_lambda" in record["history"]  # L-Softmax's lambda schedule ran
    curve = (tmp_path / "curve.csv").read_text().splitlines()
    assert curve[0] == "epoch,test_accuracy" and len(curve) == 1 + 2 * 2
    assert (tmp_path / "curves.png").stat().st_size > 0
    history = (tmp_path / "history.csv").read_text().splitlines()
    assert len(history) == 3 and "loss" in history[0]
    assert_scores_as_recorded(entry, tmp_path, 200)


@pytest.mark.multi_backend
def test_a_two_step_run_loads_back_and_scores_as_recorded(tmp_path):
    overrides = [*CNN_TINY, "schedule.epochs=1", "schedule.steps_per_epoch=2"]
    overrides += ["evaluate.monitor=none", "schedule.warmup_epochs=0.0"]
    entry, record = run_tiny("softmax_cnn.mnist", overrides, tmp_path)
    assert record["epochs_run"] == 1 and entry.parameters == record_parameters(tmp_path)
    assert_scores_as_recorded(entry, tmp_path, 64)


def record_parameters(out: Path) -> int:
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    return model.count_params()


@pytest.mark.slow  # ~30-60 s each on a shared CPU, ~4 min under JAX
@pytest.mark.multi_backend
@pytest.mark.parametrize(
    "key, overrides, outputs",
    [
        ("triplet_convnet.omniglot_openset", OMNIGLOT_TINY, ["embedding"]),
        ("margin_dws_convnet.omniglot", OMNIGLOT_TINY, ["embedding"]),
        ("arcface_convnet.omniglot_openset", OMNIGLOT_TINY, ["embedding", "logits"]),
        (
            "instdisc_resnet20.fashion_mnist",
            [
                "schedule.epochs=1",
                "data.train_limit=256",
                "model.depth=8",
                "objective.loss_kwargs.num_negatives=64",
                "evaluate.limit=100",
                "evaluate.monitor_limit=100",
            ],
            ["embedding"],
        ),
        (
            "trr_mlp.synthetic_trr_new",
            ["schedule.epochs=1", "data.kwargs.n_train=64", "evaluate.ci_limit=100"],
            ["embedding", "logits"],
        ),
    ],
)
def test_each_objective_writes_an_entry_that_scores_as_recorded(tmp_path, key, overrides, outputs):
    entry, record = run_tiny(key, overrides, tmp_path)
    assert entry.outputs == outputs and record["epochs_run"] == 1
    if entry.ci_eval is not None:
        sliced = dataclasses.replace(entry, metrics=entry.ci_eval.metrics)
        assert_scores_as_recorded(sliced, tmp_path, entry.ci_eval.limit)
    else:
        assert_scores_as_recorded(entry, tmp_path, 100)
    if key == "triplet_convnet.omniglot_openset":  # 56 px: `kzoo export` reads 56-px drawings
        assert entry.eval.dataset_kwargs == {"image_size": 56} and entry.input.shape[0] == 56
    if key.startswith("trr"):
        assert entry.eval.dataset_kwargs == {"n_train": 64, "seed": 0, "data_seed": 0}
        assert len(record["trr_scores_val"]) == 3 and "1 epoch(s)" in entry.description


def make_image_folder(root: Path, classes: int = 3, per_class: int = 12, size: int = 16) -> Path:
    """Class folders of PNG images whose mean colour depends on the class."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(classes):
        folder = root / f"class_{c}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (size, size, 3)) + 90 * c
            Image.fromarray(pixels.astype("uint8")).save(folder / f"{i}.png")
    return root


def test_image_folder_trains_and_scores_as_recorded(tmp_path):
    folder = make_image_folder(tmp_path / "photos")
    config = load_config(
        None,
        [
            "name=photos.arcface",
            f"data.directory={folder}",
            "data.image_size=[16, 16]",
            "data.color_mode=rgb",
            "data.validation_split=0.25",
            "model.head=arcface",
            "model.depth=8",
            "schedule.epochs=1",
            "schedule.batch_size=8",
            "augment.flip=horizontal",
            "augment.randaugment=1",
        ],
    )
    out = tmp_path / "run"
    train(config, str(out), verbose=0, command="kzoo train --images photos")
    fields = json.loads((out / "entry.json").read_text())
    entry = ModelEntry.from_dict(
        "photos.arcface", {**fields, "repo_id": "kzoo/x", "revision": None, "files": {}}
    )
    assert entry.classes == 3 and list(entry.input.shape) == [16, 16, 3]
    assert entry.eval.dataset == "image_folder"
    assert entry.eval.dataset_kwargs["directory"] == str(folder)
    assert_scores_as_recorded(entry, out, None)
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    embedding, logits = model(np.zeros((2, 16, 16, 3), "float32"))
    assert embedding.shape == (2, 128) and logits.shape == (2, 3)


def test_image_folder_errors_name_the_argument(tmp_path):
    from kzoo.training import load_image_folder

    with pytest.raises(ValueError, match="`directory`"):
        load_image_folder("train", directory=str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="`validation_split`"):
        load_image_folder("train", directory=str(tmp_path), validation_split=0.0)


def test_a_diverging_run_stops_and_writes_nothing(tmp_path):
    config = load_config(
        CONFIGS / "softmax_cnn.mnist.toml",
        [
            'model.backbone_kwargs={"width": 8}',
            "data.train_limit=128",
            "schedule.epochs=3",
            "schedule.kind=constant",
            "optimizer.lr=1e30",
            "optimizer.weight_decay=0.0",
            "evaluate.monitor=none",
        ],
    )
    with pytest.raises(TrainingDiverged, match="nothing written"):
        train(config, str(tmp_path), verbose=0)
    assert not (tmp_path / "entry.json").exists() and not (tmp_path / "model.keras").exists()


class Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise KeyboardInterrupt("stopped after the first epoch")


def test_an_interrupted_run_resumes_from_its_backup(tmp_path):
    overrides = [*CNN_TINY, "schedule.epochs=2", "schedule.steps_per_epoch=2"]
    config = load_config(CONFIGS / "softmax_cnn.mnist.toml", overrides)
    backup = tmp_path / "backup"  # outside the output folder
    with pytest.raises(KeyboardInterrupt):
        train(
            config,
            str(tmp_path / "out"),
            backup_dir=str(backup),
            verbose=0,
            callbacks=[Interrupt()],
        )
    assert backup.is_dir() and not (tmp_path / "out" / "entry.json").exists()
    record = train(config, str(tmp_path / "out"), backup_dir=str(backup), verbose=0)
    assert record["epochs_run"] == 1  # only the second epoch ran again
    rows = (tmp_path / "out" / "history.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0", "1"]
    assert (tmp_path / "out" / "entry.json").exists() and not backup.exists()


class InterruptMidEpoch(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1:
            raise KeyboardInterrupt("stopped inside the second epoch")


def test_a_resumed_run_keeps_one_curve_point_per_step(tmp_path):
    overrides = [*CNN_TINY, "schedule.epochs=2", "schedule.steps_per_epoch=2"]
    overrides += ["evaluate.curve_points=2"]
    config = load_config(CONFIGS / "softmax_cnn.mnist.toml", overrides)
    out, backup = tmp_path / "out", str(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        train(config, str(out), backup_dir=backup, verbose=0, callbacks=[InterruptMidEpoch()])
    epochs = [row.split(",")[0] for row in (out / "curve.csv").read_text().splitlines()[1:]]
    assert epochs == ["0.5000", "1.0000", "1.5000"]  # the interrupted epoch's point
    train(config, str(out), backup_dir=backup, verbose=0)
    epochs = [row.split(",")[0] for row in (out / "curve.csv").read_text().splitlines()[1:]]
    assert epochs == ["0.5000", "1.0000", "1.5000", "2.0000"]


@pytest.mark.parametrize(
    "text, kept",
    [("", []), ("epoch,test_accuracy\n0.5000,0.1\n1.0000,0.2\n1.5000,0.3\n", ["0.5000", "1.0000"])],
)
def test_the_first_epoch_trims_the_curve_past_it(tmp_path, text, kept):
    curve = tmp_path / "curve.csv"
    curve.write_text(text)
    ScoreMonitor(lambda: 0.5, "test_accuracy", 10, 1, str(curve)).on_epoch_begin(1)
    header, *rows = curve.read_text().splitlines()
    assert header == "epoch,test_accuracy" and [r.split(",")[0] for r in rows] == kept
    assert [p.name for p in tmp_path.iterdir()] == ["curve.csv"]
