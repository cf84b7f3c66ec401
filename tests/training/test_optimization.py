"""Schedules and optimizers of a run, against explicit-loop NumPy references."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from kzoo.training import StepDecay, build_optimizer, config_from_dict, learning_rate


def config(**sections):
    return config_from_dict(sections)


def reference_warmup_cosine(step, lr, warmup, total):
    if step < warmup:
        return lr * step / warmup
    t = min(step - warmup, total - warmup) / (total - warmup)
    return lr * 0.5 * (1 + math.cos(math.pi * t))


@pytest.mark.multi_backend
@pytest.mark.parametrize("warmup_epochs", [0.0, 1.5])
def test_warmup_then_cosine(warmup_epochs):
    c = config(optimizer={"lr": 0.2}, schedule={"epochs": 4, "warmup_epochs": warmup_epochs})
    schedule = learning_rate(c, steps_per_epoch=10)
    warmup = int(warmup_epochs * 10)
    for step in range(0, 41, 3):
        got = float(keras.ops.convert_to_numpy(schedule(step)))
        assert got == pytest.approx(reference_warmup_cosine(step, 0.2, warmup, 40), abs=1e-6)


@pytest.mark.multi_backend
def test_step_decay_matches_the_trr_seed_schedule():
    c = config(
        optimizer={"lr": 1e-3},
        schedule={"kind": "step", "decay_rate": 0.8, "decay_steps": 50, "start_decay_at": 5},
    )
    schedule = learning_rate(c, steps_per_epoch=20)
    for step in (0, 99, 100, 149, 150, 151, 400):
        n = 0
        for s in range(101, step + 1):  # a decay each 50 steps after step 100 (epoch 5)
            n += (s - 100) % 50 == 0
        expected = 1e-3 * 0.8**n
        assert float(keras.ops.convert_to_numpy(schedule(step))) == pytest.approx(expected)
    again = StepDecay(**schedule.get_config())
    assert float(keras.ops.convert_to_numpy(again(400))) == pytest.approx(1e-3 * 0.8**6)


def test_constant_schedule_and_bad_warmup():
    assert learning_rate(config(schedule={"kind": "constant"}, optimizer={"lr": 0.3}), 5) == 0.3
    with pytest.raises(ValueError, match="warmup_epochs"):
        learning_rate(config(schedule={"epochs": 2, "warmup_epochs": 2}), 10)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("sgd", keras.optimizers.SGD),
        ("adam", keras.optimizers.Adam),
        ("adamw", keras.optimizers.AdamW),
    ],
)
def test_optimizers_carry_decay_clipping_and_ema(name, cls):
    c = config(
        optimizer={
            "name": name,
            "weight_decay": 1e-4,
            "clipnorm": 5.0,
            "ema": True,
            "ema_momentum": 0.99,
            "nesterov": True,
        }
    )
    opt = build_optimizer(c, steps_per_epoch=10)
    assert type(opt) is cls
    assert opt.weight_decay == pytest.approx(1e-4) and opt.global_clipnorm == 5.0
    assert opt.use_ema and opt.ema_momentum == 0.99
    if name == "sgd":
        assert opt.nesterov and opt.momentum == 0.9


def test_no_weight_decay_means_none():
    opt = build_optimizer(config(optimizer={"weight_decay": 0.0}), 10)
    assert opt.weight_decay is None and not opt.use_ema


@pytest.mark.multi_backend
def test_ema_weights_replace_the_trained_ones_after_fit():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    c = config(optimizer={"lr": 0.1, "ema": True, "ema_momentum": 0.5, "weight_decay": 0.0})
    model.compile(build_optimizer(c, 4), "mse")
    x, y = np.ones((16, 3), "float32"), np.full((16, 1), 3.0, "float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    ema = [keras.ops.convert_to_numpy(v) for v in model.optimizer._model_variables_moving_average]
    weights = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    for a, b in zip(ema, weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
