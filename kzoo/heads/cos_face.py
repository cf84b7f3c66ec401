"""CosFace (large-margin cosine loss, AM-Softmax): s · (cos θ_y - m) on the target."""

from __future__ import annotations

from typing import Any

import keras

from kzoo.heads.norm_face import NormFace
from kzoo.utils.validation import check_non_negative


@keras.saving.register_keras_serializable(package="kzoo")
class CosFace(NormFace):
    """Additive cosine margin head.

    Target logit `s·(cos θ_y - m)`, other logits `s·cos θ_j`, features and weights L2-normalized.
    Equals PML's `CosFaceLoss` logits (same `scale` and `margin`).

    Args:
        num_classes: number of classes.
        scale: the scale s > 0 (64 in the paper).
        margin: the cosine margin m ≥ 0 (0.35 in the paper).
        learnable_scale: learn s (see `NormFace`).
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.CosFace(num_classes=10, scale=30.0, margin=0.35)
    >>> logits = head([embeddings, labels])

    Reference: Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition",
    CVPR 2018; Wang, Cheng, Liu, Liu, "Additive Margin Softmax for Face Verification", 2018.
    """

    def __init__(
        self,
        num_classes: int,
        scale: float = 64.0,
        margin: float = 0.35,
        learnable_scale: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_classes, scale=scale, learnable_scale=learnable_scale, **kwargs)
        self.margin = check_non_negative("margin", margin)

    def margin_cosine(self, cos_theta: Any, training: bool | None = None) -> Any:
        return cos_theta - self.margin

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["margin"] = self.margin
        return config
