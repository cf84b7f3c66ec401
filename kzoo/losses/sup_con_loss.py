"""Supervised contrastive loss (Khosla et al., 2020) with PyTorch Metric Learning's semantics."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses.pair_loss import PairLoss, check_real, mean_of_nonzero
from kzoo.ops.masked_logsumexp import masked_logsumexp


@keras.saving.register_keras_serializable(package="kzoo")
class SupConLoss(PairLoss):
    """Supervised contrastive loss, equal to PML's `SupConLoss(temperature)`.

    For each anchor i with positives P(i) and all other samples A(i) (its positives and
    negatives), with cosine similarities S and temperature τ:
    `-1/|P(i)| Σ_{p∈P(i)} log(exp(S_ip/τ) / Σ_{a∈A(i)} exp(S_ia/τ))` (the paper's L_out);
    the batch loss is the mean over anchors with a non-zero loss (PML's `AvgNonZeroReducer`),
    and 0 when the batch has no positive or no negative pair.

    Args:
        temperature: τ > 0. Default 0.1.
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> model.compile("adam", loss=kzoo.losses.SupConLoss(temperature=0.1))

    Reference: Khosla, Teterwak, Wang, Sarna, Tian, Isola, Maschinot, Liu, Krishnan,
    "Supervised Contrastive Learning", NeurIPS 2020.
    """

    def __init__(
        self,
        temperature: float = 0.1,
        name: str | None = "sup_con_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.temperature = check_real("temperature", temperature, 0.0, strict=True)

    def compute_pair_loss(self, similarities: Any, positives: Any, negatives: Any) -> Any:
        logits = similarities / self.temperature
        log_denominator = masked_logsumexp(logits, ops.logical_or(positives, negatives))
        pos = ops.cast(positives, logits.dtype)
        log_prob = ops.where(positives, logits - log_denominator, ops.zeros_like(logits))
        count = ops.sum(pos, axis=1)
        losses = -ops.sum(log_prob, axis=1) / ops.maximum(count, 1.0)
        usable = ops.logical_and(ops.any(positives), ops.any(negatives))
        return ops.where(usable, mean_of_nonzero(losses), 0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "temperature": self.temperature}
