"""Circle loss (Sun et al., 2020) with PyTorch Metric Learning's semantics."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses.pair_loss import PairLoss, check_real, mean_of_nonzero
from kzoo.ops.masked_logsumexp import masked_logsumexp


@keras.saving.register_keras_serializable(package="kzoo")
class CircleLoss(PairLoss):
    """Circle loss on the pairs of a batch, equal to PML's `CircleLoss(m, gamma)`.

    With cosine similarities S (embeddings L2-normalized inside), for each anchor
    `softplus(log Σ_p exp(-γ α_p (S_p - Δ_p)) + log Σ_n exp(γ α_n (S_n - Δ_n)))` where
    `α_p = [1 + m - S_p]_+`, `α_n = [S_n + m]_+` (treated as constants, as in the paper),
    `Δ_p = 1 - m`, `Δ_n = m`. Anchors without a positive or a negative count 0, and the batch
    loss is the mean over the anchors with a non-zero loss (PML's `AvgNonZeroReducer`).

    Compared with `keras.losses.Circle(gamma, margin)`: on L2-normalized embeddings both give
    the same value, but Keras lets gradients flow through the weights α_p, α_n while here they
    are stopped (as in the paper and PML), so training differs; Keras also expects normalized
    inputs (this loss normalizes) and names `m` `margin`.

    Args:
        m: the relaxation factor m. Default 0.4.
        gamma: the scale γ > 0. Default 80.
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> model.compile("adam", loss=kzoo.losses.CircleLoss(m=0.25, gamma=256))

    Reference: Sun, Cheng, Zhang, Zhang, Zheng, Wang, Wei, "Circle Loss: A Unified Perspective
    of Pair Similarity Optimization", CVPR 2020.
    """

    def __init__(
        self,
        m: float = 0.4,
        gamma: float = 80.0,
        name: str | None = "circle_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.m = check_real("m", m)
        self.gamma = check_real("gamma", gamma, 0.0, strict=True)

    def compute_pair_loss(self, similarities: Any, positives: Any, negatives: Any) -> Any:
        fixed = ops.stop_gradient(similarities)
        pos_logits = -self.gamma * ops.relu(1.0 + self.m - fixed) * (similarities - 1.0 + self.m)
        neg_logits = self.gamma * ops.relu(fixed + self.m) * (similarities - self.m)
        lse_pos = masked_logsumexp(pos_logits, positives)
        lse_neg = masked_logsumexp(neg_logits, negatives)
        losses = ops.softplus(lse_pos + lse_neg)
        has_both = ops.logical_and(
            ops.any(positives, axis=1, keepdims=True), ops.any(negatives, axis=1, keepdims=True)
        )
        return mean_of_nonzero(ops.where(has_both, losses, ops.zeros_like(losses)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "m": self.m, "gamma": self.gamma}
