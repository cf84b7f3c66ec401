"""Learning-rate schedules (warm-up + cosine, constant, step decay) and optimizers of a run."""

from __future__ import annotations

import keras

from kzoo.training.config import TrainConfig


class StepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """`lr * rate ** floor(max(step - start, 0) / every)` (the TRR seed's schedule)."""

    def __init__(self, lr: float, rate: float, every: int, start: int) -> None:
        self.lr, self.rate, self.every, self.start = lr, rate, every, start

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        n = keras.ops.floor(keras.ops.maximum(step - self.start, 0.0) / self.every)
        return self.lr * keras.ops.power(self.rate, n)

    def get_config(self) -> dict:
        return {"lr": self.lr, "rate": self.rate, "every": self.every, "start": self.start}


def learning_rate(config: TrainConfig, steps_per_epoch: int):
    """The schedule of `config.schedule` for `steps_per_epoch` steps a epoch.

    "cosine": linear warm-up from 0 over `warmup_epochs`, then cosine decay to 0 at the last
    step; "constant": `lr` throughout; "step": `StepDecay` every `decay_steps` steps (0: one
    epoch) from epoch `start_decay_at`.
    """
    s, lr = config.schedule, config.optimizer.lr
    total = s.epochs * steps_per_epoch
    if s.kind == "constant":
        return lr
    if s.kind == "step":
        every = s.decay_steps if s.decay_steps > 0 else steps_per_epoch
        return StepDecay(lr, s.decay_rate, every, s.start_decay_at * steps_per_epoch)
    warmup = int(round(s.warmup_epochs * steps_per_epoch))
    if warmup >= total:
        raise ValueError(
            f"`schedule.warmup_epochs` ({s.warmup_epochs}) must be shorter than the run "
            f"({s.epochs} epochs)."
        )
    if warmup == 0:
        return keras.optimizers.schedules.CosineDecay(lr, total)
    return keras.optimizers.schedules.CosineDecay(
        0.0, total - warmup, warmup_target=lr, warmup_steps=warmup
    )


def build_optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """SGD (momentum, Nesterov), Adam or AdamW with decoupled weight decay, optional global
    gradient clipping and an exponential moving average of the weights (`use_ema`; the
    averaged weights replace the trained ones when `fit` ends)."""
    o = config.optimizer
    common = {
        "learning_rate": learning_rate(config, steps_per_epoch),
        "weight_decay": o.weight_decay or None,
        "global_clipnorm": o.clipnorm or None,
        "use_ema": o.ema,
        "ema_momentum": o.ema_momentum,
    }
    if o.name == "sgd":
        return keras.optimizers.SGD(momentum=o.momentum, nesterov=o.nesterov, **common)
    if o.name == "adam":
        return keras.optimizers.Adam(**common)
    return keras.optimizers.AdamW(**{**common, "weight_decay": o.weight_decay})
