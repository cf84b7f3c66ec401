import csv
import json
import os

import keras
import numpy as np
import pytest

from kzoo.callbacks import WeightedKNNMonitor
from kzoo.layers import NCEMemoryBank
from kzoo.losses import NCELoss
from kzoo.metrics import weighted_knn_accuracy

pytestmark = pytest.mark.multi_backend


def _data(seed=0, n=60, d=8, c=3):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(c, d)) * 3
    y = rng.integers(0, c, n)
    return (centers[y] + rng.normal(size=(n, d))).astype("float32"), y


def _models():
    dense = keras.layers.Dense(4, kernel_initializer=keras.initializers.GlorotUniform(seed=1))
    inputs = keras.Input((8,))
    embedder = keras.Model(inputs, dense(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(dense(inputs)))
    model.compile(keras.optimizers.SGD(0.01), "mse")
    return model, embedder


def test_logs_reach_history_csv_logger_and_early_stopping(tmp_path):
    x, y = _data()
    xv, yv = _data(1, n=30)
    model, embedder = _models()
    monitor = WeightedKNNMonitor(embedder, (xv, yv), (x, y), k=10, every_n_epochs=2, batch_size=16)
    stopper = keras.callbacks.EarlyStopping("val_knn_accuracy", mode="max", patience=10)
    path = os.path.join(tmp_path, "log.csv")
    history = model.fit(
        x,
        y.astype("float32"),
        epochs=4,
        batch_size=20,
        verbose=0,
        callbacks=[monitor, stopper, keras.callbacks.CSVLogger(path)],
    )
    assert [e for e, _ in monitor.history] == [0, 1, 3]
    logged = [a for _, a in monitor.history]
    assert history.history["val_knn_accuracy"] == logged
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [r["val_knn_accuracy"] for r in rows][2] == "NA"
    assert float(rows[3]["val_knn_accuracy"]) == pytest.approx(logged[-1])
    assert stopper.best == pytest.approx(max(logged))
    expected = weighted_knn_accuracy(
        embedder.predict(xv, verbose=0), yv, embedder.predict(x, verbose=0), y, k=10
    )
    assert logged[-1] == pytest.approx(expected)


def test_evaluate_on_train_begin():
    x, y = _data()
    model, embedder = _models()
    monitor = WeightedKNNMonitor(embedder, (x, y), (x, y), k=5, evaluate_on_train_begin=True)
    model.fit(x, y.astype("float32"), epochs=1, verbose=0, callbacks=[monitor])
    assert [e for e, _ in monitor.history] == [-1, 0]
    assert monitor.history[0][1] > 0.5


def test_memory_bank_as_reference():
    x, y = _data()
    _, embedder = _models()
    bank = NCEMemoryBank(len(x), num_negatives=2, seed=0)
    bank.build([(None, 4), (None,)])
    rows = embedder.predict(x, verbose=0)[::-1].copy()
    bank.bank.assign(rows / np.linalg.norm(rows, axis=1, keepdims=True))
    monitor = WeightedKNNMonitor(embedder, (x, y), (None, y[::-1]), memory_bank=bank, k=5)
    assert monitor.evaluate() == pytest.approx(
        weighted_knn_accuracy(embedder.predict(x, verbose=0), y, rows, y[::-1], k=5)
    )


def test_config_is_json():
    x, y = _data()
    _, embedder = _models()
    config = WeightedKNNMonitor(embedder, (x, y), (x, y), k=3, every_n_epochs=4).get_config()
    assert json.loads(json.dumps(config))["every_n_epochs"] == 4


def test_bad_input():
    x, y = _data()
    _, embedder = _models()
    with pytest.raises(TypeError, match="embedding_model"):
        WeightedKNNMonitor(3, (x, y), (x, y))
    with pytest.raises(ValueError, match="validation_data"):
        WeightedKNNMonitor(embedder, x, (x, y))
    with pytest.raises(ValueError, match="memory_bank"):
        WeightedKNNMonitor(embedder, (x, y), (None, y))
    with pytest.raises(TypeError, match="memory_bank"):
        WeightedKNNMonitor(embedder, (x, y), (None, y), memory_bank=embedder)
    with pytest.raises(ValueError, match="every_n_epochs"):
        WeightedKNNMonitor(embedder, (x, y), (x, y), every_n_epochs=0)
    with pytest.raises(ValueError, match="`k`"):
        WeightedKNNMonitor(embedder, (x, y), (x, y), k=0)


def test_memory_bank_is_current_at_epoch_end():
    x, y = _data()
    _, embedder = _models()
    images, ids = keras.Input((8,)), keras.Input((), dtype="int32")
    bank = NCEMemoryBank(len(x), num_negatives=4, momentum=0.0, seed=0)
    model = keras.Model(
        [images, ids], bank([keras.layers.UnitNormalization()(embedder(images)), ids])
    )
    model.compile(keras.optimizers.SGD(0.0), loss=NCELoss(len(x)))
    monitor = WeightedKNNMonitor(
        embedder, (x, y), (None, y), memory_bank=bank, k=5, evaluate_on_train_begin=True
    )
    index = np.arange(len(x), dtype="int32")
    model.fit((x, index), index, batch_size=20, epochs=1, verbose=0, callbacks=[monitor])
    expected = weighted_knn_accuracy(
        embedder.predict(x, verbose=0), y, embedder.predict(x, verbose=0), y, k=5
    )
    assert monitor.history[1][1] == pytest.approx(expected)
    assert monitor.history[0][1] < expected
