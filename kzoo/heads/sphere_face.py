"""SphereFace (A-Softmax): L-Softmax with unit-norm class weights and no bias."""

from __future__ import annotations

from typing import Any

import keras

from kzoo.heads.l_softmax import LSoftmax


@keras.saving.register_keras_serializable(package="kzoo")
class SphereFace(LSoftmax):
    """Angular softmax head (A-Softmax).

    Logits are `‖x‖ cos θ_j` (class weights normalized to ‖w‖ = 1, zero bias), the target one
    `‖x‖ (λ cos θ_y + ψ(θ_y)) / (1 + λ)` with the L-Softmax ψ and the same λ annealing driven by
    `kzoo.callbacks.MarginLambdaScheduler` (`iteration` is a saved non-trainable variable).
    Defaults are the released SphereFace schedule: base 1000, γ 0.12, power 1, λ_min 5.
    With `lambda_base=0, lambda_min=0` it equals PML's `SphereFaceLoss` logits.

    Args:
        num_classes: number of classes.
        margin: integer m ≥ 1 (4 in the paper).
        lambda_base, lambda_gamma, lambda_power, lambda_min: the λ schedule (see `LSoftmax`).
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.SphereFace(num_classes=10, margin=4)
    >>> logits = head([embeddings, labels])

    Reference: Liu, Wen, Yu, Li, Raj, Song, "SphereFace: Deep Hypersphere Embedding for Face
    Recognition", CVPR 2017.
    """

    def __init__(
        self,
        num_classes: int,
        margin: int = 4,
        lambda_base: float = 1000.0,
        lambda_gamma: float = 0.12,
        lambda_power: float = 1.0,
        lambda_min: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            num_classes,
            margin=margin,
            lambda_base=lambda_base,
            lambda_gamma=lambda_gamma,
            lambda_power=lambda_power,
            lambda_min=lambda_min,
            **kwargs,
        )

    normalize_kernel = True
