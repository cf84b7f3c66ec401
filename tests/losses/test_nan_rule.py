"""The NaN rule: a NaN or Inf anywhere in `y_pred` (or a head's inputs) gives a NaN loss.

(An Inf loss, e.g. a contrastive loss of an infinite distance, also passes: TerminateOnNaN stops
on both; what fails is a finite loss.)

One parametrised test over every public name of `kzoo.losses` and `kzoo.heads`: a name
without an entry in BUILDERS (how to compute a loss from a `y_pred`) or NOT_LOSSES fails, so
every future loss and head inherits the rule.
"""

import keras
import numpy as np
import pytest
from keras import ops

import kzoo.heads
import kzoo.losses as kl
from kzoo.ops.pairwise_distances import pairwise_distances

pytestmark = pytest.mark.multi_backend

B, D = 12, 5
LABELS = np.repeat(np.arange(4), 3).astype("int32")
RNG = np.random.default_rng(0)
EMB = RNG.normal(size=(B, D)).astype("float32")
_CE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _on_embeddings(loss):
    return lambda e: loss(LABELS, e), EMB


def _on_distances(fn):
    return lambda e: fn(LABELS, pairwise_distances(e, "L2")), EMB


def _head(cls, **kwargs):
    head = cls(num_classes=4, **kwargs)
    head([EMB, LABELS])
    return lambda e: _CE(LABELS, head([e, LABELS])), EMB


BUILDERS = {
    "ContrastiveLoss": lambda: (lambda d: kl.ContrastiveLoss()(LABELS % 2, d), EMB[:, 0] ** 2),
    "contrastive_loss": lambda: (
        lambda d: ops.mean(kl.contrastive_loss(LABELS % 2, d)),
        EMB[:, 0] ** 2,
    ),
    "EmbeddingContrastiveLoss": lambda: _on_embeddings(kl.EmbeddingContrastiveLoss()),
    "embedding_contrastive_loss": lambda: _on_distances(kl.embedding_contrastive_loss),
    "MarginLoss": lambda: _on_embeddings(kl.MarginLoss()),
    "MarginBeta": lambda: (
        lambda e: kl.MarginLoss(learn_beta=True)(LABELS, e),
        np.concatenate([EMB, np.full((B, 1), 1.2, "float32")], axis=1),
    ),
    "margin_loss": lambda: (
        lambda e: kl.margin_loss(LABELS, pairwise_distances(e, "L2"), ops.ones((B,)) * 1.2),
        EMB,
    ),
    "NCELoss": lambda: (lambda s: kl.NCELoss(num_instances=100)(LABELS, s), EMB - 3.0),
    "TRRLoss": lambda: (
        lambda t: kl.TRRLoss()(LABELS, ops.reshape(t[:, :4], (B, 2, 2))),
        np.abs(EMB),
    ),
    "trr_terms": lambda: (lambda t: ops.sum(kl.trr_terms(ops.reshape(t[:, :4], (B, 2, 2)))), EMB),
    "trr_scores": lambda: (lambda t: ops.sum(kl.trr_scores(ops.reshape(t[:, :4], (B, 2, 2)))), EMB),
    "TripletBatchAllLoss": lambda: _on_embeddings(kl.TripletBatchAllLoss()),
    "triplet_batch_all_loss": lambda: _on_distances(kl.triplet_batch_all_loss),
    "TripletHardLoss": lambda: _on_embeddings(kl.TripletHardLoss()),
    "triplet_hard_loss": lambda: _on_embeddings(kl.triplet_hard_loss),
    "triplet_hard_loss_from_distances": lambda: _on_distances(kl.triplet_hard_loss_from_distances),
    "TripletSemiHardLoss": lambda: _on_embeddings(kl.TripletSemiHardLoss()),
    "triplet_semihard_loss": lambda: _on_embeddings(kl.triplet_semihard_loss),
    "triplet_semihard_loss_from_distances": lambda: _on_distances(
        kl.triplet_semihard_loss_from_distances
    ),
    "ArcFace": lambda: _head(kzoo.heads.ArcFace),
    "CoCo": lambda: _head(kzoo.heads.CoCo),
    "CombinedMargin": lambda: _head(kzoo.heads.CombinedMargin),
    "CosFace": lambda: _head(kzoo.heads.CosFace),
    "L2Softmax": lambda: _head(kzoo.heads.L2Softmax),
    "LSoftmax": lambda: _head(kzoo.heads.LSoftmax),
    "MarginHead": lambda: _head(kzoo.heads.MarginHead),
    "NormFace": lambda: _head(kzoo.heads.NormFace),
    "SphereFace": lambda: _head(kzoo.heads.SphereFace),
}


def _cross_batch_memory():
    xbm = kl.CrossBatchMemory(kl.MultiSimilarityLoss(), D, memory_size=32)
    return lambda e: xbm.memory_loss(e, LABELS), EMB


def _proxy_anchor_loss():
    head = kzoo.heads.ProxyAnchor(num_classes=4)
    return lambda e: kl.ProxyAnchorLoss()(LABELS, head(e)), EMB


BUILDERS.update(
    {
        "MultiSimilarityLoss": lambda: _on_embeddings(kl.MultiSimilarityLoss(epsilon=0.1)),
        "CircleLoss": lambda: _on_embeddings(kl.CircleLoss()),
        "SupConLoss": lambda: _on_embeddings(kl.SupConLoss()),
        "NTXentLoss": lambda: _on_embeddings(kl.NTXentLoss()),
        "CrossBatchMemory": _cross_batch_memory,
        "ProxyAnchorLoss": _proxy_anchor_loss,
        "ProxyAnchor": lambda: _head(kzoo.heads.ProxyAnchor),
        "ProxyNCA": lambda: _head(kzoo.heads.ProxyNCA),
        "SoftTriple": lambda: _head(kzoo.heads.SoftTriple),
        "SubCenterArcFace": lambda: _head(kzoo.heads.SubCenterArcFace),
        "AdaFace": lambda: _head(kzoo.heads.AdaFace),
        "MagFace": lambda: _head(kzoo.heads.MagFace),
        "CurricularFace": lambda: _head(kzoo.heads.CurricularFace),
    }
)
NOT_LOSSES = {
    "l2_softmax_alpha_lower_bound": "a number from the number of classes",
    "margin_lambda": "the λ schedule, a number from the step",
}
PUBLIC = sorted(set(kl.__all__) | set(kzoo.heads.__all__))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")], ids=str)
@pytest.mark.parametrize("name", PUBLIC)
def test_nan_or_inf_in_gives_nan_loss(name, bad):
    if name in NOT_LOSSES:
        pytest.skip(NOT_LOSSES[name])
    assert name in BUILDERS, f"add {name} to BUILDERS in {__file__} (the NaN rule)"
    fn, y_pred = BUILDERS[name]()
    clean = float(ops.convert_to_numpy(fn(ops.convert_to_tensor(y_pred))))
    assert np.isfinite(clean), (name, clean)
    for index in [(0,), (B // 2,), (B - 1,)]:
        poisoned = np.array(y_pred, copy=True)
        poisoned[index] = bad
        value = float(ops.convert_to_numpy(fn(ops.convert_to_tensor(poisoned))))
        assert not np.isfinite(value), (name, bad, index, value)


def test_terminate_on_nan_stops_in_the_first_epoch():
    """The issue's repro: a NaN row used to give a finite loss and NaN weights."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    x[5, 2] = np.nan
    y = np.repeat(np.arange(16), 4)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    model.compile(optimizer="adam", loss=kl.TripletBatchAllLoss())
    history = model.fit(
        x, y, batch_size=64, epochs=3, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()]
    )
    assert len(history.history["loss"]) == 1, history.history
    assert np.isnan(history.history["loss"][0])
