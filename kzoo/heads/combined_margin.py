"""Combined margin (InsightFace): s · (cos(m1·θ_y + m2) - m3), acos-free for integer m1."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.heads.norm_face import NormFace
from kzoo.ops.angular_margin import cos_multiplicative_additive
from kzoo.utils.validation import check_float, check_int, check_non_negative


@keras.saving.register_keras_serializable(package="kzoo")
class CombinedMargin(NormFace):
    """SphereFace + ArcFace + CosFace margins in one head: target `s·(cos(m1·θ + m2) - m3)`.

    Supported: integer `m1 ≥ 1` (cos(m1θ) and sin(m1θ) by Chebyshev polynomials in cos θ, so no
    `acos`; fractional m1 such as InsightFace's 0.9 would need acos and is rejected),
    `0 ≤ m2 < π` radians, `m3 ≥ 0`. cos(m1θ + m2) decreases only while m1θ + m2 ≤ π, i.e. for
    θ ≤ θ* = (π - m2)/m1; beyond, the target is `cos θ - (1 + cos θ*) - m3`, which is continuous
    at θ* and decreasing. (1, m, 0) matches ArcFace for θ ≤ π - m (ArcFace's own fallback is the
    InsightFace `cos θ - m sin m`) and (1, 0, m) is CosFace.

    Args:
        num_classes: number of classes.
        scale: the scale s > 0.
        m1: integer multiplicative angular margin ≥ 1.
        m2: additive angular margin in radians.
        m3: additive cosine margin.
        learnable_scale: learn s (see `NormFace`).
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.CombinedMargin(num_classes=10, scale=64.0, m1=1, m2=0.3, m3=0.2)
    >>> logits = head([embeddings, labels])

    Reference: Deng, Guo, Xue, Zafeiriou, "ArcFace: Additive Angular Margin Loss for Deep Face
    Recognition", CVPR 2019, section 3.3 (combined margin).
    """

    def __init__(
        self,
        num_classes: int,
        scale: float = 64.0,
        m1: int = 1,
        m2: float = 0.3,
        m3: float = 0.2,
        learnable_scale: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_classes, scale=scale, learnable_scale=learnable_scale, **kwargs)
        self.m1 = check_int("m1", m1, 1)  # a non-integer m1 would need acos
        self.m2 = check_float("m2", m2, 0.0, math.pi, max_inclusive=False)
        self.m3 = check_non_negative("m3", m3)

    def margin_cosine(self, cos_theta: Any, training: bool | None = None) -> Any:
        cos_limit = math.cos((math.pi - self.m2) / self.m1)
        with_margin = cos_multiplicative_additive(cos_theta, self.m1, self.m2) - self.m3
        fallback = cos_theta - (1.0 + cos_limit) - self.m3
        return ops.where(cos_theta >= cos_limit, with_margin, fallback)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"m1": self.m1, "m2": self.m2, "m3": self.m3})
        return config
