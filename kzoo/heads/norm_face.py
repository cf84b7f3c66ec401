"""NormFace: softmax over scaled cosines of normalized features and class weights."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.heads.margin_head import MarginHead
from kzoo.utils.validation import check_bool, check_positive


@keras.saving.register_keras_serializable(package="kzoo")
class NormFace(MarginHead):
    """Normalized-softmax head: logits `s · cos θ_j` with L2-normalized features and weights.

    Without a margin, training and inference logits are the same. The scale `s` is fixed, or a
    trainable scalar initialized to `scale` when `learnable_scale=True` (the paper learns it).
    Equals PML's `NormalizedSoftmaxLoss` logits with `temperature = 1 / scale`. Also the base of
    `CosFace`, `ArcFace` and `CombinedMargin`, which override `margin_cosine`.

    Args:
        num_classes: number of classes.
        scale: the scale s > 0 (NormFace suggests s ≈ 16-30 for face data).
        learnable_scale: learn s as a trainable weight.
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.NormFace(num_classes=10, scale=16.0, learnable_scale=True)
    >>> logits = head([embeddings, labels])

    Reference: Wang, Xiang, Cheng, Yuille, "NormFace: L2 Hypersphere Embedding for Face
    Verification", ACM MM 2017.
    """

    def __init__(
        self, num_classes: int, scale: float = 16.0, learnable_scale: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(num_classes, **kwargs)
        self.scale = check_positive("scale", scale)
        self.learnable_scale = check_bool("learnable_scale", learnable_scale)

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        self.scale_weight = None
        if self.learnable_scale:
            self.scale_weight = self.add_weight(
                name="scale",
                shape=(),
                initializer=keras.initializers.Constant(self.scale),
                trainable=True,
            )

    def scale_logits(self, cosine: Any, embeddings: Any, kernel: Any) -> Any:
        if self.scale_weight is None:
            return cosine * self.scale
        return cosine * ops.cast(self.scale_weight, "float32")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"scale": self.scale, "learnable_scale": self.learnable_scale})
        return config
