"""CurricularFace: hard negatives are emphasised more and more as training goes."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.heads.adaptive_margin_head import AdaptiveMarginHead
from kzoo.ops.angular_margin import cos_theta_plus_margin


@keras.saving.register_keras_serializable(package="kzoo")
class CurricularFace(AdaptiveMarginHead):
    """Adaptive curriculum learning head.

    The target takes the ArcFace margin, `cos(θ_y + m)` (past θ = π - m: `cos θ_y - m sin m`).
    A non-target class j is hard when `cos θ_j > cos(θ_y + m)`; its logit becomes
    `cos θ_j (t + cos θ_j)`, where `t ← α·mean_batch(cos θ_y) + (1 - α)·t` (from 0, updated
    before use) grows as the model improves: easy samples first, hard ones later. t is a
    non-trainable weight saved with the model. No `acos` (TFLite builtins only).

    Args:
        num_classes: number of classes.
        margin: m ∈ [0, π). Default 0.5.
        scale: s > 0. Default 64.
        t_alpha: α ∈ (0, 1], the update rate of t. Default 0.01.
        **kwargs: `NormFace` arguments.

    Example:
    >>> head = kzoo.heads.CurricularFace(num_classes=1000)
    >>> logits = head([embeddings, labels])

    Reference: Huang, Wang, Tai, Liu, Shen, Li, Li, Huang, "CurricularFace: Adaptive Curriculum
    Learning Loss for Deep Face Recognition", CVPR 2020.
    """

    def __init__(
        self,
        num_classes: int,
        margin: float = 0.5,
        scale: float = 64.0,
        t_alpha: float = 0.01,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_classes, scale=scale, **kwargs)
        for name, value in (("margin", margin), ("t_alpha", t_alpha)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"`{name}` must be a number. Received: {name}={value!r}")
        if not 0 <= margin < math.pi:
            raise ValueError(f"`margin` must be in [0, pi). Received: margin={margin!r}")
        if not 0 < t_alpha <= 1:
            raise ValueError(f"`t_alpha` must be in (0, 1]. Received: t_alpha={t_alpha!r}")
        self.margin = float(margin)
        self.t_alpha = float(t_alpha)

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        self.t = self.add_weight(name="t", shape=(), initializer="zeros", trainable=False)

    def margin_logits(
        self, embeddings: Any, cosine: Any, one_hot: Any, training: bool | None = None
    ) -> Any:
        target = ops.sum(cosine * one_hot, axis=-1, keepdims=True)
        with_margin = cos_theta_plus_margin(target, self.margin)
        final_target = ops.where(
            target > math.cos(math.pi - self.margin),
            with_margin,
            target - self.margin * math.sin(self.margin),
        )
        t = ops.cast(self.t, "float32")
        if self.updates_statistics(training):
            t = self.t_alpha * ops.mean(ops.stop_gradient(target)) + (1.0 - self.t_alpha) * t
            self.t.assign(ops.cast(t, self.t.dtype))
        hard = cosine > with_margin
        logits = ops.where(hard, cosine * (ops.stop_gradient(t) + cosine), cosine)
        return logits + one_hot * (final_target - logits)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"margin": self.margin, "t_alpha": self.t_alpha})
        return config
