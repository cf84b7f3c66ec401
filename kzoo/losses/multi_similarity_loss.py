"""Multi-similarity loss (Wang et al., 2019) on cosine similarities."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses.pair_loss import PairLoss, check_real
from kzoo.miners.multi_similarity_miner import MultiSimilarityMiner
from kzoo.ops.masked_logsumexp import masked_logsumexp


@keras.saving.register_keras_serializable(package="kzoo")
class MultiSimilarityLoss(PairLoss):
    """Multi-similarity loss with PyTorch Metric Learning's semantics (`MultiSimilarityLoss`).

    For each anchor i, with cosine similarities S (embeddings L2-normalized inside):
    `1/α · log(1 + Σ_p exp(-α(S_ip - λ))) + 1/β · log(1 + Σ_n exp(β(S_in - λ)))`, averaged over
    the batch (anchors without pairs count as 0, PML's `MeanReducer`). With `epsilon` set the
    pairs are first mined as PML's `MultiSimilarityMiner(epsilon)` (the paper's pair mining).

    Args:
        alpha: α > 0, the weight of positive pairs. Default 2.
        beta: β > 0, the weight of negative pairs. Default 50.
        base: λ, the similarity margin. Default 0.5.
        epsilon: None (all pairs) or the mining slack ε ≥ 0.
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> model.compile("adam", loss=kzoo.losses.MultiSimilarityLoss(epsilon=0.1))

    Reference: Wang, Han, Huang, Dong, Scott, "Multi-Similarity Loss with General Pair
    Weighting for Deep Metric Learning", CVPR 2019.
    """

    def __init__(
        self,
        alpha: float = 2.0,
        beta: float = 50.0,
        base: float = 0.5,
        epsilon: float | None = None,
        name: str | None = "multi_similarity_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.alpha = check_real("alpha", alpha, 0.0, strict=True)
        self.beta = check_real("beta", beta, 0.0, strict=True)
        self.base = check_real("base", base)
        self.epsilon = None if epsilon is None else check_real("epsilon", epsilon, 0.0)
        self.miner = None if epsilon is None else MultiSimilarityMiner(self.epsilon)

    def compute_pair_loss(self, similarities: Any, positives: Any, negatives: Any) -> Any:
        if self.miner is not None:
            positives, negatives = self.miner.pair_masks(similarities, positives, negatives)
        pos = masked_logsumexp(self.alpha * (self.base - similarities), positives, add_one=True)
        neg = masked_logsumexp(self.beta * (similarities - self.base), negatives, add_one=True)
        return ops.mean(pos / self.alpha + neg / self.beta)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "beta": self.beta,
            "base": self.base,
            "epsilon": self.epsilon,
        }
