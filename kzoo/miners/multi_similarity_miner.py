"""Multi-similarity pair mining (Wang et al., 2019) on a cosine similarity matrix."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kzoo")
class MultiSimilarityMiner:
    """Keeps the informative pairs of a similarity matrix, as PML's `MultiSimilarityMiner`.

    A positive pair (a, p) is kept when `S_ap - ε < max_n S_an` (it is less similar than the
    hardest negative plus ε); a negative pair (a, n) is kept when `S_an + ε > min_p S_ap`. An
    anchor without negatives keeps no positive and one without positives keeps no negative; a
    batch without any positive or any negative pair keeps nothing. Masks only: no gradient.

    Args:
        epsilon: the slack ε ≥ 0 of both rules. Default 0.1.

    Example:
    >>> miner = kzoo.miners.MultiSimilarityMiner(epsilon=0.1)
    >>> positives, negatives = miner.pair_masks(similarities, positives, negatives)

    Reference: Wang, Han, Huang, Dong, Scott, "Multi-Similarity Loss with General Pair
    Weighting for Deep Metric Learning", CVPR 2019.
    """

    def __init__(self, epsilon: float = 0.1) -> None:
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon >= 0:
            raise ValueError(f"`epsilon` must be a number >= 0. Received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)

    def pair_masks(self, similarities: Any, positives: Any, negatives: Any) -> tuple[Any, Any]:
        """The mined `(positives, negatives)` boolean masks, shape of `similarities`."""
        s = ops.stop_gradient(ops.cast(similarities, "float32"))
        positives = ops.cast(positives, "bool")
        negatives = ops.cast(negatives, "bool")
        inf = ops.full_like(s, float("inf"))
        hardest_negative = ops.max(ops.where(negatives, s, -inf), axis=1, keepdims=True)
        easiest_positive = ops.min(ops.where(positives, s, inf), axis=1, keepdims=True)
        # Negated comparisons keep pairs with NaN similarities, so NaN inputs give a NaN loss.
        keep_pos = ops.logical_and(positives, ops.logical_not(s - self.epsilon >= hardest_negative))
        keep_neg = ops.logical_and(negatives, ops.logical_not(s + self.epsilon <= easiest_positive))
        usable = ops.logical_and(ops.any(positives), ops.any(negatives))
        return ops.logical_and(keep_pos, usable), ops.logical_and(keep_neg, usable)

    def get_config(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MultiSimilarityMiner:
        return cls(**config)
