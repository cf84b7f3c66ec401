"""ArcFace (additive angular margin): s · cos(θ_y + m) on the target, without `acos`."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.heads.norm_face import NormFace
from kzoo.ops.angular_margin import cos_theta_plus_margin
from kzoo.utils.validation import check_bool, check_float


@keras.saving.register_keras_serializable(package="kzoo")
class ArcFace(NormFace):
    """Additive angular margin head.

    Target logit `s·cos(θ_y + m)` computed as `cos θ cos m - sin θ sin m` (TFLite builtins only).
    Past θ = π - m, cos(θ + m) would increase again; there the target becomes
    `cos θ - m·sin m` (the InsightFace / PML fallback). With `easy_margin=True` the margin is
    applied only where cos θ > 0 (θ < 90°) and the target is plain cos θ elsewhere.
    Equals PML's `ArcFaceLoss` logits for `margin` in radians (PML takes degrees).

    Args:
        num_classes: number of classes.
        scale: the scale s > 0 (64 in the paper).
        margin: the angular margin m in radians, 0 ≤ m < π (0.5 in the paper).
        easy_margin: apply the margin only for θ < π/2.
        learnable_scale: learn s (see `NormFace`).
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.ArcFace(num_classes=10, scale=30.0, margin=0.5)
    >>> logits = head([embeddings, labels])

    Reference: Deng, Guo, Xue, Zafeiriou, "ArcFace: Additive Angular Margin Loss for Deep Face
    Recognition", CVPR 2019.
    """

    def __init__(
        self,
        num_classes: int,
        scale: float = 64.0,
        margin: float = 0.5,
        easy_margin: bool = False,
        learnable_scale: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_classes, scale=scale, learnable_scale=learnable_scale, **kwargs)
        self.margin = check_float("margin", margin, 0.0, math.pi, max_inclusive=False)
        self.easy_margin = check_bool("easy_margin", easy_margin)

    def margin_cosine(self, cos_theta: Any, training: bool | None = None) -> Any:
        with_margin = cos_theta_plus_margin(cos_theta, self.margin)
        if self.easy_margin:
            return ops.where(cos_theta > 0.0, with_margin, cos_theta)
        threshold = math.cos(math.pi - self.margin)
        fallback = cos_theta - self.margin * math.sin(self.margin)
        return ops.where(cos_theta >= threshold, with_margin, fallback)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"margin": self.margin, "easy_margin": self.easy_margin})
        return config
