from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.utils.validation import check_choice, check_non_negative

VARIANTS = ("trr", "trr_new")


def _check_pair_distances(y_pred: Any) -> None:
    if len(y_pred.shape) != 3 or (y_pred.shape[-1] is not None and y_pred.shape[-1] != 2):
        raise ValueError(
            "y_pred must be (batch, layers, 2) squared distances [||a-p||^2, ||a-n||^2] per layer, "
            f"got shape {tuple(y_pred.shape)}."
        )


def trr_terms(pair_distances: Any, variant: str = "trr_new") -> Any:
    """`(B, L)` per-layer TRR loss terms from `(B, L, 2)` [||a-p||^2, ||a-n||^2]."""
    d_ap, d_an = pair_distances[..., 0], pair_distances[..., 1]
    poison = (d_ap + d_an) * 0.0  # an Inf or NaN distance makes its term NaN, not a saturated 0/1
    if variant == "trr":
        return ops.sigmoid(d_ap - d_an) + poison
    return ops.sigmoid(d_ap) - ops.sigmoid(d_an) + poison


def trr_scores(pair_distances: Any) -> Any:
    """Per-layer TRR score `mean_batch(||a-n||^2 - ||a-p||^2)`, shape `(L,)`.

    The diagnostic of the TRR seed: positive when a layer's features put same-class
    samples closer together than different-class ones; about 0 when they do not.
    """
    pair_distances = ops.convert_to_tensor(pair_distances)
    _check_pair_distances(pair_distances)
    return ops.mean(pair_distances[..., 1] - pair_distances[..., 0], axis=0)


@keras.saving.register_keras_serializable(package="kzoo")
class TRRLoss(keras.losses.Loss):
    """Triplet Response Residual loss over the features of several layers.

    With `d_ap^i = ||x_anc^i - x_pos^i||^2` and `d_an^i = ||x_anc^i - x_neg^i||^2` the
    squared distances of layer `i`'s features, per triplet:

    - `variant="trr"`:     `alpha * sum_i sigmoid(d_ap^i - d_an^i)`
    - `variant="trr_new"`: `alpha * sum_i [sigmoid(d_ap^i) - sigmoid(d_an^i)]`

    `y_pred` is the `(B, L, 2)` tensor of `[d_ap^i, d_an^i]` that
    `kzoo.models.TripletFeatureModel` outputs under "trr"; `y_true` is ignored. Add it to
    a classification loss with `compile(loss={"logits": ..., "trr": TRRLoss()})`.

    Args:
        variant: "trr" (Eq. 2 of the seed) or "trr_new" (Eq. 3/4). Default "trr_new".
        alpha: weight of the TRR term. Default 1.0.
        name, reduction, dtype: as `keras.losses.Loss`.

    Example:
    >>> mlp = kzoo.models.build_trr_mlp(num_features=100, num_classes=10)
    >>> model = kzoo.models.TripletFeatureModel(mlp, ["dense_0", "dense_1", "dense_2"])
    >>> model.compile("adam", loss={
    ...     "logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    ...     "trr": kzoo.losses.TRRLoss("trr_new", alpha=1.0)})
    >>> sampler = kzoo.datasets.TripletSampler(y_train, batch_size=64, seed=0)
    >>> model.fit(kzoo.datasets.SampledDataset(x_train, y_train, sampler), epochs=2)

    Reference: "Triplet Response Residual (TRR) 与特征表示学习" (seed 000), after the TRR
    filter score of Fang et al., "NestDNN", MobiCom 2018.
    """

    def __init__(
        self,
        variant: str = "trr_new",
        alpha: float = 1.0,
        name: str | None = "trr_loss",
        reduction: str = "sum_over_batch_size",
        dtype: Any = None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.variant = check_choice("variant", variant, VARIANTS)
        self.alpha = check_non_negative("alpha", alpha)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        _check_pair_distances(y_pred)
        return self.alpha * ops.sum(trr_terms(y_pred, self.variant), axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "variant": self.variant, "alpha": self.alpha}
