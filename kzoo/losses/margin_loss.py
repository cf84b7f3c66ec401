from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.losses._base import MetricLoss, labels_and_embeddings, propagate_nan
from kzoo.miners.distance_weighted_miner import DistanceWeightedMiner
from kzoo.ops.label_masks import negative_mask, positive_mask
from kzoo.ops.masked_reductions import divide_no_nan
from kzoo.utils.validation import check_bool, check_float, check_non_negative, nan_unless

SAMPLINGS = ("all", "distance_weighted")


def margin_loss(
    labels: Any,
    distances: Any,
    beta: Any,
    margin: float = 0.2,
    nu: float = 0.0,
    negative_weights: Any = None,
) -> Any:
    """Margin loss of Wu et al. on a distance matrix, reduced as PML's `MarginLoss`.

    `beta` is `(B,)` (the β of each anchor). Without `negative_weights` every valid
    triplet (a, p, n) counts once; with a `(B, B)` row-stochastic matrix of negative
    sampling probabilities each positive pair counts once with its negative's term in
    expectation under those probabilities. The sum of `[d_ap - β + α]_+ + [β - d_an + α]_+`
    plus `ν Σ β(a)` over the triplets is divided by the number of non-zero terms.
    """
    pos = ops.cast(positive_mask(labels), distances.dtype)
    neg = ops.cast(negative_mask(labels), distances.dtype)
    beta = ops.expand_dims(ops.reshape(beta, (-1,)), 1)
    pos_loss = ops.maximum(distances - beta + margin, 0.0)
    neg_loss = ops.maximum(beta - distances + margin, 0.0)
    num_pos = ops.sum(pos, axis=1, keepdims=True)
    if negative_weights is None:
        w_pos = pos * ops.sum(neg, axis=1, keepdims=True)
        w_neg = neg * num_pos
    else:
        probs = ops.stop_gradient(ops.cast(negative_weights, distances.dtype)) * neg
        has_negative = ops.cast(ops.sum(probs, axis=1, keepdims=True) > 0, distances.dtype)
        w_pos = pos * has_negative
        w_neg = probs * num_pos
    total = ops.sum(w_pos * pos_loss) + ops.sum(w_neg * neg_loss)
    divisor = ops.sum(w_pos * ops.cast(pos_loss > 0, distances.dtype)) + ops.sum(
        w_neg * ops.cast(neg_loss > 0, distances.dtype)
    )
    if nu:
        total = total + nu * ops.sum(beta * ops.sum(w_pos, axis=1, keepdims=True))
    return propagate_nan(propagate_nan(divide_no_nan(total, divisor), distances), beta)


@keras.saving.register_keras_serializable(package="kzoo")
class MarginLoss(MetricLoss):
    """Margin-based loss with a (learnable) boundary β, Wu et al. 2017.

    For positive pairs `[d(a, p) - β(a) + α]_+`, for negative pairs `[β(a) - d(a, n) + α]_+`,
    plus the regularizer `ν β(a)`; summed over triplets and divided by the number of
    non-zero terms (PyTorch Metric Learning's `MarginLoss` reduction). Triplets are all
    valid ones (`sampling="all"`) or, with `sampling="distance_weighted"`, one per positive
    pair with its negative drawn from `DistanceWeightedMiner(cutoff, nonzero_loss_cutoff)`,
    taken in expectation (deterministic, jit-friendly).

    β is either the fixed number `beta` or, with `learn_beta=True`, read from the last
    column of `y_pred`: the model outputs `concatenate([embeddings, beta], -1)` where
    `beta` comes from a `kzoo.losses.MarginBeta` layer (global, per class and/or per image,
    β(i) = β0 + β_class(c(i)) + β_img(i)), so that Keras trains it with the model.

    Args:
        margin: α, the half-width of the margin around β. Default 0.2.
        nu: ν, weight of the β regularizer (only with `learn_beta`). Default 0.
        beta: fixed β when `learn_beta=False`. Default 1.2.
        learn_beta: read per-sample β from the last column of `y_pred`.
        distance: "l2" (default; use L2-normalized embeddings), "squared_l2" or "angular".
        sampling: "all" or "distance_weighted".
        cutoff, nonzero_loss_cutoff: the distance-weighted miner's parameters.
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> loss = kzoo.losses.MarginLoss(margin=0.2, beta=1.2, sampling="distance_weighted")

    Reference: Wu, Manmatha, Smola, Krähenbühl, "Sampling Matters in Deep Embedding
    Learning", ICCV 2017.
    """

    def __init__(
        self,
        margin: float = 0.2,
        nu: float = 0.0,
        beta: float = 1.2,
        learn_beta: bool = False,
        distance: str = "l2",
        sampling: str = "all",
        cutoff: float = 0.5,
        nonzero_loss_cutoff: float = 1.4,
        name: str | None = "margin_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ):
        super().__init__(distance=distance, name=name, reduction=reduction, dtype=dtype)
        self.margin = check_non_negative("margin", margin)
        self.nu = check_non_negative("nu", nu)
        self.beta = check_float("beta", beta)
        self.learn_beta = check_bool("learn_beta", learn_beta)
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}.")
        self.sampling = sampling
        self.cutoff = check_float("cutoff", cutoff)
        self.nonzero_loss_cutoff = check_float("nonzero_loss_cutoff", nonzero_loss_cutoff)
        self.miner = (
            DistanceWeightedMiner(cutoff, nonzero_loss_cutoff)
            if sampling == "distance_weighted"
            else None
        )

    def call(self, y_true: Any, y_pred: Any) -> Any:
        labels, embeddings, valid = labels_and_embeddings(y_true, y_pred)
        values = embeddings
        if self.learn_beta:
            if embeddings.shape[-1] is not None and embeddings.shape[-1] < 2:
                raise ValueError(
                    "with learn_beta=True, y_pred must be concatenate([embeddings, beta], -1)."
                )
            beta, embeddings = embeddings[:, -1], embeddings[:, :-1]
        else:
            beta = ops.full((ops.shape(embeddings)[0],), self.beta, dtype=embeddings.dtype)
        weights = None if self.miner is None else self.miner.weights(embeddings, labels)
        nu = self.nu if self.learn_beta else 0.0
        loss = margin_loss(labels, self.distances(embeddings), beta, self.margin, nu, weights)
        return nan_unless(valid, propagate_nan(loss, values))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "margin": self.margin,
            "nu": self.nu,
            "beta": self.beta,
            "learn_beta": self.learn_beta,
            "sampling": self.sampling,
            "cutoff": self.cutoff,
            "nonzero_loss_cutoff": self.nonzero_loss_cutoff,
        }
