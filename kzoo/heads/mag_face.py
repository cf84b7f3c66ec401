"""MagFace: a margin growing with the feature magnitude, plus a magnitude regularizer."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.heads.adaptive_margin_head import AdaptiveMarginHead
from kzoo.ops.angular_margin import sin_from_cos
from kzoo.ops.l2_normalize import safe_norm


@keras.saving.register_keras_serializable(package="kzoo")
class MagFace(AdaptiveMarginHead):
    """Magnitude-aware angular margin head.

    With a = clip(‖z‖, l_a, u_a), the margin is `m(a) = l_m + (u_m - l_m)(a - l_a)/(u_a - l_a)`
    and the target logit `s·cos(θ_y + m(a))` (computed as `cos θ cos m - sin θ sin m`; past
    θ = π - m(a) it is `cos θ - m(a) sin m(a)`, as ArcFace). The regularizer
    `g(a) = a/u_a² + 1/a` rewards large magnitudes for confident samples: called with labels,
    the head adds `lambda_g · mean(g(a))` with `add_loss`, so `fit` minimizes
    cross-entropy + λ_g·g as in the paper. `magnitude_regularizer(embeddings)` returns it.

    Args:
        num_classes: number of classes.
        scale: s > 0. Default 64.
        lower_margin, upper_margin: l_m ≤ u_m, margins at the norm bounds. Default 0.45, 0.8.
        lower_norm, upper_norm: 0 < l_a < u_a, the norm range. Default 10, 110.
        lambda_g: λ_g ≥ 0, the weight of the regularizer. Default 35.
        **kwargs: `NormFace` arguments.

    Example:
    >>> head = kzoo.heads.MagFace(num_classes=1000)
    >>> logits = head([embeddings, labels])   # embeddings NOT normalized; ‖z‖ is the quality

    Reference: Meng, Zhao, Zhang, Li, Zhang, "MagFace: A Universal Representation for Face
    Recognition and Quality Assessment", CVPR 2021.
    """

    def __init__(
        self,
        num_classes: int,
        scale: float = 64.0,
        lower_margin: float = 0.45,
        upper_margin: float = 0.8,
        lower_norm: float = 10.0,
        upper_norm: float = 110.0,
        lambda_g: float = 35.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_classes, scale=scale, **kwargs)
        values = {
            "lower_margin": lower_margin,
            "upper_margin": upper_margin,
            "lower_norm": lower_norm,
            "upper_norm": upper_norm,
            "lambda_g": lambda_g,
        }
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"`{name}` must be a number >= 0. Received: {name}={value!r}")
        if not lower_margin <= upper_margin < math.pi:
            raise ValueError(
                "`lower_margin` <= `upper_margin` < pi required. Received: "
                f"lower_margin={lower_margin!r}, upper_margin={upper_margin!r}"
            )
        if not 0 < lower_norm < upper_norm:
            raise ValueError(
                "0 < `lower_norm` < `upper_norm` required. Received: "
                f"lower_norm={lower_norm!r}, upper_norm={upper_norm!r}"
            )
        self.lower_margin = float(lower_margin)
        self.upper_margin = float(upper_margin)
        self.lower_norm = float(lower_norm)
        self.upper_norm = float(upper_norm)
        self.lambda_g = float(lambda_g)

    def magnitudes(self, embeddings: Any) -> Any:
        """a = clip(‖z‖, l_a, u_a), shape `(batch, 1)`."""
        norms = safe_norm(ops.cast(embeddings, "float32"), axis=-1, keepdims=True)
        return ops.clip(norms, self.lower_norm, self.upper_norm)

    def adaptive_margin(self, magnitudes: Any) -> Any:
        slope = (self.upper_margin - self.lower_margin) / (self.upper_norm - self.lower_norm)
        return slope * (magnitudes - self.lower_norm) + self.lower_margin

    def magnitude_regularizer(self, embeddings: Any) -> Any:
        """λ_g · mean(a/u_a² + 1/a), the term the head adds to the loss."""
        a = self.magnitudes(embeddings)
        return self.lambda_g * ops.mean(a / self.upper_norm**2 + 1.0 / a)

    def margin_logits(
        self, embeddings: Any, cosine: Any, one_hot: Any, training: bool | None = None
    ) -> Any:
        if self.lambda_g:
            self.add_loss(self.magnitude_regularizer(embeddings))
        margin = self.adaptive_margin(self.magnitudes(embeddings))
        target = ops.sum(cosine * one_hot, axis=-1, keepdims=True)
        with_margin = target * ops.cos(margin) - sin_from_cos(target) * ops.sin(margin)
        fallback = target - margin * ops.sin(margin)
        margined = ops.where(target > -ops.cos(margin), with_margin, fallback)
        return cosine + one_hot * (margined - target)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "lower_margin": self.lower_margin,
                "upper_margin": self.upper_margin,
                "lower_norm": self.lower_norm,
                "upper_norm": self.upper_norm,
                "lambda_g": self.lambda_g,
            }
        )
        return config
