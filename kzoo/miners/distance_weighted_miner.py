"""Distance-weighted negative sampling (Wu et al., 2017)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.ops.l2_normalize import l2_normalize
from kzoo.ops.label_masks import flatten_labels, positive_mask, same_label_mask
from kzoo.ops.pairwise_distances import pairwise_distances


class DistanceWeightedMiner:
    """Samples negatives with probability proportional to `min(lambda, q(d)^-1)`.

    On the unit hypersphere S^{n-1} the distance between two uniformly random points has
    density `q(d) ∝ d^(n-2) (1 - d^2/4)^((n-3)/2)`. Weighting each negative by `1/q(d)`
    spreads the sampled negatives evenly over distances. As in the paper's released code
    (and PyTorch Metric Learning), the weight clip `lambda` is applied as a distance
    cut-off: distances are clamped to `>= cutoff`, which caps `1/q` at `lambda = 1/q(cutoff)`
    for the close negatives; negatives at `d >= nonzero_loss_cutoff` (zero margin loss)
    get weight 0. Embeddings are L2-normalized first. Weights are normalized per anchor;
    an anchor with no eligible negative gets an all-zero row.

    Args:
        cutoff: distances below it are treated as `cutoff` (the `lambda` clip). Default 0.5.
        nonzero_loss_cutoff: negatives at this distance or farther are never drawn. Default 1.4.

    Example:
    >>> miner = DistanceWeightedMiner(cutoff=0.5, nonzero_loss_cutoff=1.4)
    >>> probs = miner.weights(embeddings, labels)           # (B, B), rows sum to 1 or 0
    >>> a, p, n, valid = miner.sample(embeddings, labels, seed=0)  # one triplet per anchor

    Reference: Wu, Manmatha, Smola, Krähenbühl, "Sampling Matters in Deep Embedding
    Learning", ICCV 2017, Section 4.
    """

    def __init__(self, cutoff: float = 0.5, nonzero_loss_cutoff: float = 1.4):
        for name, value in (("cutoff", cutoff), ("nonzero_loss_cutoff", nonzero_loss_cutoff)):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0.0 <= value <= 2.0
            ):
                raise ValueError(
                    f"{name} must be a number in [0, 2] (a distance on the unit sphere), "
                    f"got {value!r}."
                )
        if cutoff >= nonzero_loss_cutoff:
            raise ValueError(
                f"cutoff ({cutoff}) must be smaller than "
                f"nonzero_loss_cutoff ({nonzero_loss_cutoff})."
            )
        self.cutoff = float(cutoff)
        self.nonzero_loss_cutoff = float(nonzero_loss_cutoff)

    def weights(self, embeddings: Any, labels: Any) -> Any:
        """`(B, B)` sampling probabilities of negative `n` for anchor `a` (no gradient)."""
        embeddings = ops.stop_gradient(ops.convert_to_tensor(embeddings))
        if len(embeddings.shape) != 2:
            raise ValueError(
                f"embeddings must be 2-D (batch, dim), got shape {tuple(embeddings.shape)}."
            )
        labels = flatten_labels(ops.convert_to_tensor(labels))
        dim = float(embeddings.shape[-1])
        d = pairwise_distances(l2_normalize(ops.cast(embeddings, "float32"), epsilon=1e-6), "l2")
        d = ops.maximum(d, self.cutoff)
        inside = ops.less(d, 2.0)
        safe_d = ops.where(inside, d, ops.ones_like(d))
        log_w = (2.0 - dim) * ops.log(safe_d) - ((dim - 3.0) / 2.0) * ops.log(
            1.0 - 0.25 * ops.square(safe_d)
        )
        eligible = ops.logical_and(ops.logical_not(same_label_mask(labels)), inside)
        eligible = ops.logical_and(eligible, ops.less(d, self.nonzero_loss_cutoff))
        log_w = ops.where(eligible, log_w, -1e30)
        row_max = ops.max(log_w, axis=1, keepdims=True)
        w = ops.where(eligible, ops.exp(log_w - row_max), ops.zeros_like(log_w))
        total = ops.sum(w, axis=1, keepdims=True)
        return w / ops.where(total > 0, total, ops.ones_like(total))

    def sample(self, embeddings: Any, labels: Any, seed: Any = None) -> tuple[Any, Any, Any, Any]:
        """One triplet per anchor: a uniform random positive and a distance-weighted negative.

        Returns `(anchor, positive, negative, valid)` int/bool tensors of shape `(B,)`;
        `valid` is false for anchors without a positive or without an eligible negative.
        """
        labels = flatten_labels(ops.convert_to_tensor(labels))
        probs = self.weights(embeddings, labels)
        pos = ops.cast(positive_mask(labels), "float32")
        seed = keras.random.SeedGenerator(0) if seed is None else seed
        neg_idx = keras.random.categorical(ops.log(ops.maximum(probs, 1e-30)), 1, seed=seed)[:, 0]
        pos_logits = ops.where(pos > 0, ops.zeros_like(pos), -1e30 * ops.ones_like(pos))
        pos_idx = keras.random.categorical(pos_logits, 1, seed=seed)[:, 0]
        valid = ops.logical_and(ops.sum(pos, axis=1) > 0, ops.sum(probs, axis=1) > 0)
        anchors = ops.arange(ops.shape(labels)[0])
        return anchors, ops.cast(pos_idx, "int32"), ops.cast(neg_idx, "int32"), valid

    def get_config(self) -> dict[str, float]:
        return {"cutoff": self.cutoff, "nonzero_loss_cutoff": self.nonzero_loss_cutoff}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DistanceWeightedMiner:
        return cls(**config)
