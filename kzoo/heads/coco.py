"""CoCo (congenerous cosine): softmax over α-scaled cosines to normalized class centroids."""

from __future__ import annotations

from typing import Any

import keras

from kzoo.heads.margin_head import MarginHead
from kzoo.utils.validation import check_positive


@keras.saving.register_keras_serializable(package="kzoo")
class CoCo(MarginHead):
    """Congenerous-cosine head: logits `α · x̂ · ĉ_j`, x̂ = x/‖x‖, ĉ_j = c_j/‖c_j‖.

    The class centroids `c_j` are this layer's kernel (learned by back-propagation, initialized
    from a unit normal distribution like the reference code's centers; a small initial norm
    would make Adam rotate the normalized centroids much faster than the features); the loss is
    the softmax cross-entropy of these logits, pulling each feature towards its own centroid and
    away from the others in cosine terms. The forward pass is the same as `NormFace` with a
    fixed scale α; CoCo has no margin, so training and inference logits agree.

    Args:
        num_classes: number of classes (identities).
        alpha: the feature scale α > 0.
        kernel_initializer: initializer of the centroids (default `RandomNormal(stddev=1)`).
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.CoCo(num_classes=10, alpha=10.0)
    >>> logits = head([embeddings, labels])

    Reference: Liu, Li, Wang, "Rethinking Feature Discrimination and Polymerization for
    Large-scale Recognition" (congenerous cosine loss), arXiv:1710.00870 / 1702.06890, 2017.
    """

    def __init__(
        self,
        num_classes: int,
        alpha: float = 10.0,
        kernel_initializer: Any = None,
        **kwargs: Any,
    ) -> None:
        if kernel_initializer is None:
            kernel_initializer = keras.initializers.RandomNormal(stddev=1.0)
        super().__init__(num_classes, kernel_initializer=kernel_initializer, **kwargs)
        self.alpha = check_positive("alpha", alpha)

    def scale_logits(self, cosine: Any, embeddings: Any, kernel: Any) -> Any:
        return cosine * self.alpha

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
