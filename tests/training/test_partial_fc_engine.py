"""The engine trains a margin head with Partial FC (`sample_rate < 1`): `PartialFCLoss` on the
sampled logits (target in column 0), the arg-max-is-column-0 accuracy, full logits at inference."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from kzoo import losses
from kzoo.training import load_config, train
from kzoo.training.data import TrainingData, input_spec
from kzoo.training.objectives import build_run, sampled_accuracy

CONFIGS = Path(__file__).resolve().parents[2] / "training" / "configs"
TINY = [
    "model.backbone=lsoftmax_cnn",
    'model.backbone_kwargs={"width": 4}',
    "model.embedding_dim=16",
    "model.head=arcface",
]


def synthetic(config, classes=20, n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 28, 28, 1)).astype("float32")
    y = (np.arange(n) % classes).astype("int32")
    return TrainingData(x, y, input_spec(config, [28, 28, 1]), classes)


def test_full_head_keeps_sparse_cross_entropy_and_accuracy():
    config = load_config(None, TINY)
    run = build_run(config, synthetic(config))
    assert isinstance(run.loss, keras.losses.SparseCategoricalCrossentropy)
    assert run.metrics == ["accuracy"]


def test_sampled_head_trains_with_partial_fc_loss():
    config = load_config(None, [*TINY, "model.head_kwargs={sample_rate = 0.5}"])
    config.schedule.batch_size = 8
    run = build_run(config, synthetic(config))
    assert run.model.get_layer("head").sample_rate == 0.5
    assert isinstance(run.loss, losses.PartialFCLoss)
    assert [m.name for m in run.metrics] == ["sampled_accuracy"]
    x, y = synthetic(config).x[:8], np.arange(8, dtype="int32")
    logits = run.trainer({"image": x, "label": y}, training=True)
    assert tuple(logits.shape) == (8, 10)  # the 8 classes of the batch and 2 sampled: 0.5 x 20
    assert tuple(run.model(x)[1].shape) == (8, 20)  # no labels: every class


def test_sampled_accuracy_is_the_share_of_rows_whose_column_0_is_the_arg_max():
    logits = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0], [2.0, -1.0, 1.9], [1.0, 1.0, 4.0]])
    expected = [1.0 if np.argmax(row) == 0 else 0.0 for row in logits]
    got = keras.ops.convert_to_numpy(sampled_accuracy(np.zeros(4), logits))
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["schedule.batch_size=16"], "`data.classes_per_batch` <= 10"),
        (["objective.label_smoothing=0.1"], "`objective.label_smoothing` needs the full head"),
    ],
)
def test_a_batch_with_more_classes_than_kept_is_refused(overrides, message):
    config = load_config(None, [*TINY, "model.head_kwargs={sample_rate = 0.5}", *overrides])
    with pytest.raises(ValueError, match=message):
        build_run(config, synthetic(config))


@pytest.mark.multi_backend
def test_a_partial_fc_run_trains_evaluates_and_reloads(tmp_path):
    overrides = [
        'model.backbone_kwargs={"width": 4}',
        "model.head=arcface",
        "model.head_kwargs={sample_rate = 0.5, scale = 16.0}",
        "data.train_limit=256",
        "data.sampler=pk",
        "data.classes_per_batch=4",
        "data.per_class=4",
        "schedule.epochs=1",
        "schedule.warmup_epochs=0.0",
        "schedule.steps_per_epoch=4",
        "evaluate.monitor=none",
        "evaluate.limit=64",
    ]
    config = load_config(CONFIGS / "softmax_cnn.mnist.toml", overrides)
    record = train(config, str(tmp_path), verbose=0, command="kzoo train (test)")
    history = record["history"]
    assert np.all(np.isfinite(history["loss"])) and history["loss"][0] > 0
    assert 0.0 <= history["sampled_accuracy"][0] <= 1.0 and "accuracy" not in history
    entry = json.loads((tmp_path / "entry.json").read_text())
    assert entry["architecture"]["kwargs"]["head_kwargs"]["sample_rate"] == 0.5
    assert 0.0 <= entry["metrics"]["accuracy"] <= 1.0
    model = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert model.get_layer("head").sample_rate == 0.5
    embedding, logits = model(np.zeros((3, 28, 28, 1), "float32"))
    logits = keras.ops.convert_to_numpy(logits)
    assert logits.shape == (3, 10) and np.all(np.isfinite(logits))
