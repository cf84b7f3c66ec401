"""L-Softmax: large-margin softmax with a multiplicative angular margin and λ annealing."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.heads.margin_head import MarginHead
from kzoo.ops.cos_m_theta import lsoftmax_psi
from kzoo.utils.validation import check_int, check_non_negative


def margin_lambda(
    iteration: Any, base: float, gamma: float, power: float, lambda_min: float
) -> Any:
    """λ = max(λ_min, base·(1 + γ·iteration)^(-power)), the L-Softmax/SphereFace annealing."""
    iteration = ops.cast(iteration, "float32")
    return ops.maximum(lambda_min, base * ops.power(1.0 + gamma * iteration, -power))


@keras.saving.register_keras_serializable(package="kzoo")
class LSoftmax(MarginHead):
    """Large-margin softmax head (L-Softmax).

    Non-target logits are `x·w_j = ‖x‖‖w_j‖cos θ_j`; the target logit is
    `‖x‖‖w_y‖ (λ cos θ_y + ψ(θ_y)) / (1 + λ)` with `ψ(θ) = (-1)^k cos(mθ) - 2k`,
    `θ ∈ [kπ/m, (k+1)π/m]`, cos(mθ) by its Chebyshev polynomial in cos θ and k from thresholds
    on cos θ (no `acos`). No bias, as in the paper.

    λ anneals as `max(lambda_min, lambda_base·(1 + lambda_gamma·iteration)^(-lambda_power))`.
    `iteration` is a non-trainable int32 variable of this layer, so it is saved in `.keras`
    files and checkpoints; `kzoo.callbacks.MarginLambdaScheduler` increments it once per
    training batch (without that callback λ stays at its value for the stored iteration).
    `lambda_base=0, lambda_min=0` switch annealing off (λ = 0: the pure margin, PML's
    `LargeMarginSoftmaxLoss`). The defaults are the released L-Softmax MNIST settings.

    Args:
        num_classes: number of classes.
        margin: integer m ≥ 1 (the paper uses 1-4; m = 1 is plain softmax without bias).
        lambda_base: base of the λ schedule.
        lambda_gamma: γ of the λ schedule.
        lambda_power: power of the λ schedule.
        lambda_min: lower bound of λ.
        **kwargs: `MarginHead` arguments (kernel initializer/regularizer/constraint, name, dtype).

    Example:
    >>> head = kzoo.heads.LSoftmax(num_classes=10, margin=4)
    >>> logits = head([embeddings, labels])

    Reference: Liu, Wen, Yu, Yang, "Large-Margin Softmax Loss for Convolutional Neural
    Networks", ICML 2016.
    """

    def __init__(
        self,
        num_classes: int,
        margin: int = 4,
        lambda_base: float = 1000.0,
        lambda_gamma: float = 0.000025,
        lambda_power: float = 35.0,
        lambda_min: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_classes, **kwargs)
        self.margin = check_int("margin", margin, 1)
        self.lambda_base = check_non_negative("lambda_base", lambda_base)
        self.lambda_gamma = check_non_negative("lambda_gamma", lambda_gamma)
        self.lambda_power = check_non_negative("lambda_power", lambda_power)
        self.lambda_min = check_non_negative("lambda_min", lambda_min)

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        self.iteration = self.add_weight(
            name="iteration", shape=(), dtype="int32", initializer="zeros", trainable=False
        )

    def current_lambda(self) -> Any:
        """λ for the stored iteration (a scalar tensor)."""
        return margin_lambda(
            self.iteration.value if self.built else 0,
            self.lambda_base,
            self.lambda_gamma,
            self.lambda_power,
            self.lambda_min,
        )

    def margin_cosine(self, cos_theta: Any, training: bool | None = None) -> Any:
        lam = self.current_lambda()
        return (lam * cos_theta + lsoftmax_psi(cos_theta, self.margin)) / (1.0 + lam)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "margin": self.margin,
                "lambda_base": self.lambda_base,
                "lambda_gamma": self.lambda_gamma,
                "lambda_power": self.lambda_power,
                "lambda_min": self.lambda_min,
            }
        )
        return config
