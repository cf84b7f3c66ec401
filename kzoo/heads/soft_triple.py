"""SoftTriple: several centres per class, softly assigned, with a margin on the target class."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.heads.proxy_head import ProxyHead
from kzoo.ops.l2_normalize import l2_normalize
from kzoo.utils.validation import check_int, check_positive


@keras.saving.register_keras_serializable(package="kzoo")
class SoftTriple(ProxyHead):
    """SoftTriple head: logits `λ (S_c - δ·[c = y])` with K centres per class.

    The similarity to class c is `S_c = Σ_k softmax_k(cos(x, w_ck) / γ) · cos(x, w_ck)`. The
    kernel has PyTorch Metric Learning's layout `(embedding_dim, num_classes · K)`, class-major
    (column `c·K + k`), and PML's Kaiming-uniform initialization, so it copies 1:1; the sparse
    cross-entropy of the training logits is PML's `SoftTripleLoss`. Without labels the logits
    are `λ S_c`. (The paper's centre-merging regularizer is not included, as in PML.)

    Args:
        num_classes: number of classes.
        centers_per_class: K ≥ 1. Default 10.
        la: the scale λ > 0. Default 20.
        gamma: the temperature γ > 0 of the soft assignment to centres. Default 0.1.
        margin: δ, subtracted from the target similarity. Default 0.01.
        kernel_initializer: initializer of the centres.
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.SoftTriple(num_classes=100, centers_per_class=10)
    >>> logits = head([embeddings, labels])

    Reference: Qian, Shang, Sun, Hu, Li, Jin, "SoftTriple Loss: Deep Metric Learning Without
    Triplet Sampling", ICCV 2019.
    """

    def __init__(
        self,
        num_classes: int,
        centers_per_class: int = 10,
        la: float = 20.0,
        gamma: float = 0.1,
        margin: float = 0.01,
        kernel_initializer: Any = "kaiming_uniform_a5",
        **kwargs: Any,
    ) -> None:
        if kernel_initializer == "kaiming_uniform_a5":
            kernel_initializer = keras.initializers.VarianceScaling(
                1.0 / 3.0, mode="fan_out", distribution="uniform"
            )
        super().__init__(num_classes, kernel_initializer=kernel_initializer, **kwargs)
        self.centers_per_class = check_int("centers_per_class", centers_per_class, 1)
        self.la = check_positive("la", la)
        self.gamma = check_positive("gamma", gamma)
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or math.isnan(margin):
            raise ValueError(f"`margin` must be a number. Received: margin={margin!r}")
        self.margin = float(margin)

    def kernel_shape(self, embedding_dim: int) -> tuple[int, int]:
        return (embedding_dim, self.num_classes * self.centers_per_class)

    def proxy_logits(self, embeddings: Any, one_hot: Any, training: bool | None = None) -> Any:
        centres = l2_normalize(ops.cast(self.kernel, "float32"), axis=0)
        cosine = ops.matmul(l2_normalize(embeddings, axis=-1), centres)
        cosine = ops.reshape(cosine, (-1, self.num_classes, self.centers_per_class))
        weights = ops.softmax(cosine / self.gamma, axis=-1)
        similarity = ops.sum(weights * cosine, axis=-1)
        if one_hot is not None:
            similarity = similarity - self.margin * one_hot
        return self.la * similarity

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "centers_per_class": self.centers_per_class,
            "la": self.la,
            "gamma": self.gamma,
            "margin": self.margin,
        }
