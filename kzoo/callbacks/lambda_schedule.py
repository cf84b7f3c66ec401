"""Callback driving the L-Softmax / SphereFace λ annealing."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kzoo")
class MarginLambdaScheduler(keras.callbacks.Callback):
    """Advances the λ schedule of every annealed margin head of the model, once per batch.

    Each `LSoftmax` / `SphereFace` head owns its schedule (`lambda_base`, `lambda_gamma`,
    `lambda_power`, `lambda_min`) and a non-trainable `iteration` variable from which it computes
    `λ = max(λ_min, base·(1 + γ·iteration)^(-power))` inside the graph. This callback adds 1 to
    `iteration` after every training batch, so the counter lives in the model: it is saved with
    `model.save(...)` / checkpoints and a resumed run continues the schedule where it stopped.
    The current λ is written to the epoch logs as `margin_lambda` (the first head's) and, with
    `verbose=1`, printed at each epoch end.

    The head does not count by itself, so that inference, evaluation and extra forward passes
    never move λ. Under JAX, accessing `self.model` syncs the model state before the update
    (Keras' documented behaviour for callbacks that touch variables).

    Args:
        head_names: names of the heads to drive; `None` drives every layer (searched
            recursively) that has an `iteration` variable and a `current_lambda()` method.
        verbose: 1 prints λ at the end of each epoch.

    Example:
    >>> model.fit(x, y, callbacks=[kzoo.callbacks.MarginLambdaScheduler()])

    Reference: Liu et al., "Large-Margin Softmax Loss for Convolutional Neural Networks",
    ICML 2016; Liu et al., "SphereFace", CVPR 2017 (λ = max(λ_min, base·(1+γ·it)^(-power))).
    """

    def __init__(self, head_names: list[str] | None = None, verbose: int = 0) -> None:
        super().__init__()
        if head_names is not None and (
            isinstance(head_names, str) or not all(isinstance(n, str) for n in head_names)
        ):
            raise TypeError(f"`head_names` must be a list of layer names, got {head_names!r}.")
        self.head_names = None if head_names is None else list(head_names)
        self.verbose = int(verbose)

    def _heads(self) -> list[keras.layers.Layer]:
        model = self.model
        heads = [
            layer
            for layer in model._flatten_layers(include_self=False, recursive=True)
            if hasattr(layer, "iteration") and hasattr(layer, "current_lambda")
        ]
        if self.head_names is not None:
            heads = [h for h in heads if h.name in self.head_names]
            missing = set(self.head_names) - {h.name for h in heads}
            if missing:
                raise ValueError(
                    f"`head_names` {sorted(missing)} are not annealed margin heads of the model."
                )
        return heads

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not self._heads():
            raise ValueError(
                "MarginLambdaScheduler found no LSoftmax/SphereFace head in the model."
            )

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for head in self._heads():
            head.iteration.assign(head.iteration.value + 1)

    def current_lambdas(self) -> dict[str, float]:
        """λ of each driven head, by layer name."""
        return {h.name: float(ops.convert_to_numpy(h.current_lambda())) for h in self._heads()}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        lambdas = self.current_lambdas()
        if logs is not None and lambdas:
            logs["margin_lambda"] = next(iter(lambdas.values()))
        if self.verbose:
            text = ", ".join(f"{name}: {value:.4g}" for name, value in lambdas.items())
            print(f"Epoch {epoch + 1}: margin lambda {text}")

    def get_config(self) -> dict[str, Any]:
        return {"head_names": self.head_names, "verbose": self.verbose}
