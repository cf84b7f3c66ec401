"""NT-Xent (normalized temperature-scaled cross-entropy) with label-defined positives."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses.pair_loss import PairLoss, check_real
from kzoo.ops.masked_logsumexp import masked_logsumexp


@keras.saving.register_keras_serializable(package="kzoo")
class NTXentLoss(PairLoss):
    """NT-Xent / InfoNCE over every positive pair, equal to PML's `NTXentLoss(temperature)`.

    Positives are the pairs with the same label (two augmented views of an image share a label
    for SimCLR). For each positive pair (a, p), with cosine similarities S and temperature τ:
    `-log(exp(S_ap/τ) / (exp(S_ap/τ) + Σ_{n: y_n≠y_a} exp(S_an/τ)))`, averaged over the
    positive pairs; 0 when the batch has no positive or no negative pair.

    Args:
        temperature: τ > 0. Default 0.07.
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> labels = np.concatenate([np.arange(32), np.arange(32)])   # two views per image
    >>> loss = kzoo.losses.NTXentLoss(temperature=0.07)(labels, concatenate([z1, z2]))

    Reference: Chen, Kornblith, Norouzi, Hinton, "A Simple Framework for Contrastive Learning
    of Visual Representations", ICML 2020; Sohn, "Improved Deep Metric Learning with
    Multi-class N-pair Loss Objective", NeurIPS 2016.
    """

    def __init__(
        self,
        temperature: float = 0.07,
        name: str | None = "ntxent_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.temperature = check_real("temperature", temperature, 0.0, strict=True)

    def compute_pair_loss(self, similarities: Any, positives: Any, negatives: Any) -> Any:
        logits = similarities / self.temperature
        lse_neg = masked_logsumexp(logits, negatives)
        has_neg = ops.any(negatives, axis=1, keepdims=True)
        losses = ops.where(has_neg, ops.softplus(lse_neg - logits), ops.zeros_like(logits))
        pos = ops.cast(positives, logits.dtype)
        total = ops.sum(ops.where(positives, losses, ops.zeros_like(losses)))
        count = ops.sum(pos)
        usable = ops.logical_and(count > 0, ops.any(negatives))
        return ops.where(usable, total / ops.maximum(count, 1.0), 0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "temperature": self.temperature}
