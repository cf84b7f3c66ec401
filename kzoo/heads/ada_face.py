"""AdaFace: a margin that adapts to image quality through the feature norm."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.heads.adaptive_margin_head import AdaptiveMarginHead
from kzoo.ops.angular_margin import sin_from_cos
from kzoo.ops.l2_normalize import safe_norm

EPSILON = 1e-3


@keras.saving.register_keras_serializable(package="kzoo")
class AdaFace(AdaptiveMarginHead):
    """Quality-adaptive margin head.

    The feature norm ‖z‖ (clipped to [0.001, 100], no gradient) is standardized with running
    batch statistics `μ ← α·mean + (1-α)·μ`, `σ ← α·std + (1-α)·σ` (updated before use, from
    μ = 20, σ = 100): `ẑ = clip(h·(‖z‖ - μ)/(σ + ε), -1, 1)`. The target logit is
    `s·(cos(clip(θ_y + g_angle, ε, π - ε)) - g_add)` with `g_angle = -m·ẑ`, `g_add = m·ẑ + m`:
    high-norm (good quality) samples get an angular (ArcFace-like) margin, low-norm ones an
    additive (CosFace-like) one. Cosines are clipped to [-1 + ε, 1 - ε], ε = 1e-3, as in the
    authors' code. θ comes from `arctan2` (no `acos`, TFLite builtins only). The statistics are
    non-trainable weights (`batch_mean`, `batch_std`), saved with the model.

    Args:
        num_classes: number of classes.
        margin: m ≥ 0. Default 0.4.
        h: the concentration h > 0 of ẑ. Default 0.333.
        scale: s > 0. Default 64.
        t_alpha: α ∈ (0, 1], the update rate of the statistics. Default 0.01.
        **kwargs: `NormFace` arguments.

    Example:
    >>> head = kzoo.heads.AdaFace(num_classes=1000)
    >>> logits = head([embeddings, labels])   # embeddings NOT normalized: the norm is used

    Reference: Kim, Jain, Liu, "AdaFace: Quality Adaptive Margin for Face Recognition",
    CVPR 2022.
    """

    def __init__(
        self,
        num_classes: int,
        margin: float = 0.4,
        h: float = 0.333,
        scale: float = 64.0,
        t_alpha: float = 0.01,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_classes, scale=scale, **kwargs)
        for name, value in (("margin", margin), ("h", h), ("t_alpha", t_alpha)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"`{name}` must be a number. Received: {name}={value!r}")
        if not 0 <= margin < math.pi / 2:
            raise ValueError(f"`margin` must be in [0, pi/2). Received: margin={margin!r}")
        if not h > 0:
            raise ValueError(f"`h` must be > 0. Received: h={h!r}")
        if not 0 < t_alpha <= 1:
            raise ValueError(f"`t_alpha` must be in (0, 1]. Received: t_alpha={t_alpha!r}")
        self.margin = float(margin)
        self.h = float(h)
        self.t_alpha = float(t_alpha)

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        self.batch_mean = self.add_weight(
            name="batch_mean",
            shape=(),
            initializer=keras.initializers.Constant(20.0),
            trainable=False,
        )
        self.batch_std = self.add_weight(
            name="batch_std",
            shape=(),
            initializer=keras.initializers.Constant(100.0),
            trainable=False,
        )

    def norm_scaler(self, embeddings: Any, training: bool | None = None) -> Any:
        """ẑ per sample, shape `(batch, 1)`; updates the running statistics when training."""
        norms = ops.stop_gradient(
            ops.clip(safe_norm(embeddings, axis=-1, keepdims=True), 0.001, 100.0)
        )
        mean = ops.cast(self.batch_mean, "float32")
        std = ops.cast(self.batch_std, "float32")
        if self.updates_statistics(training):
            count = ops.cast(ops.shape(norms)[0], "float32")
            batch_mean = ops.mean(norms)
            batch_var = ops.sum(ops.square(norms - batch_mean)) / ops.maximum(count - 1.0, 1.0)
            mean = self.t_alpha * batch_mean + (1.0 - self.t_alpha) * mean
            std = self.t_alpha * ops.sqrt(batch_var) + (1.0 - self.t_alpha) * std
            self.batch_mean.assign(ops.cast(mean, self.batch_mean.dtype))
            self.batch_std.assign(ops.cast(std, self.batch_std.dtype))
        return ops.clip((norms - mean) / (std + EPSILON) * self.h, -1.0, 1.0)

    def margin_logits(
        self, embeddings: Any, cosine: Any, one_hot: Any, training: bool | None = None
    ) -> Any:
        scaler = self.norm_scaler(embeddings, training=training)
        cosine = ops.clip(cosine, -1.0 + EPSILON, 1.0 - EPSILON)
        target = ops.sum(cosine * one_hot, axis=-1, keepdims=True)
        theta = ops.arctan2(sin_from_cos(target), target)
        theta = ops.clip(theta - self.margin * scaler, EPSILON, math.pi - EPSILON)
        margined = ops.cos(theta) - (self.margin + self.margin * scaler)
        return cosine + one_hot * (margined - target)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"margin": self.margin, "h": self.h, "t_alpha": self.t_alpha})
        return config
