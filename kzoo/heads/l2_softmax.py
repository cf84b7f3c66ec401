"""L2-constrained softmax: features rescaled to norm α before a plain linear classifier."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.heads.margin_head import MarginHead
from kzoo.utils.validation import check_bool, check_positive


def l2_softmax_alpha_lower_bound(num_classes: int, probability: float = 0.9) -> float:
    """Ranjan et al.'s lower bound α_low = log(p (C - 2) / (1 - p)).

    With features of norm α and unit class weights, a sample at its class weight reaches a
    softmax probability of at least p only if α > α_low (e.g. C = 10, p = 0.9: α > 4.28).

    Args:
        num_classes: number of classes C ≥ 3 (for C = 2 the bound is -inf: any α works).
        probability: target probability p in (0, 1).

    Example:
    >>> round(l2_softmax_alpha_lower_bound(10, 0.9), 2)
    4.28
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 3:
        raise ValueError(f"`num_classes` must be an int >= 3, got num_classes={num_classes!r}.")
    if not isinstance(probability, (int, float)) or not 0.0 < probability < 1.0:
        raise ValueError(f"`probability` must be in (0, 1), got probability={probability!r}.")
    return math.log(probability * (num_classes - 2) / (1.0 - probability))


@keras.saving.register_keras_serializable(package="kzoo")
class L2Softmax(MarginHead):
    """L2-softmax head: logits `(α x / ‖x‖) · w_j = α ‖w_j‖ cos θ_j` (no bias, no margin).

    The L2-normalize-and-scale layer of the paper followed by its fully connected layer; class
    weights are not normalized. α is fixed, or trainable (initialized to `alpha`) with
    `learnable_alpha=True`. Pick α with `l2_softmax_alpha_lower_bound`.

    Args:
        num_classes: number of classes.
        alpha: feature norm α > 0 (the paper uses 16-50 for faces).
        learnable_alpha: learn α as a trainable scalar.
        **kwargs: `MarginHead` arguments.

    Example:
    >>> alpha = kzoo.heads.l2_softmax_alpha_lower_bound(10, 0.99)
    >>> head = kzoo.heads.L2Softmax(num_classes=10, alpha=alpha)
    >>> logits = head([embeddings, labels])

    Reference: Ranjan, Castillo, Chellappa, "L2-constrained Softmax Loss for Discriminative
    Face Verification", arXiv:1703.09507, 2017.
    """

    def __init__(
        self, num_classes: int, alpha: float = 16.0, learnable_alpha: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(num_classes, **kwargs)
        self.alpha = check_positive("alpha", alpha)
        self.learnable_alpha = check_bool("learnable_alpha", learnable_alpha)

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        self.alpha_weight = None
        if self.learnable_alpha:
            self.alpha_weight = self.add_weight(
                name="alpha",
                shape=(),
                initializer=keras.initializers.Constant(self.alpha),
                trainable=True,
            )

    def scale_logits(self, cosine: Any, embeddings: Any, kernel: Any) -> Any:
        alpha = self.alpha if self.alpha_weight is None else ops.cast(self.alpha_weight, "float32")
        return cosine * alpha * self.kernel_norms(kernel)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"alpha": self.alpha, "learnable_alpha": self.learnable_alpha})
        return config
