"""NumPy port of TF-Addons 0.23's triplet and contrastive losses (test reference only).

A line-by-line port of `tensorflow_addons/losses/triplet.py`, `metric_learning.py` and
`contrastive.py` at tag v0.23.0 (github.com/tensorflow/addons), float32 arithmetic in the
same order, including the `(B*B, B)` tiling of the semi-hard loss. Written for the tests;
kzoo's implementation is independent (it mines only the positive pairs).
"""

import numpy as np

F32 = np.float32


def pairwise_distance(feature, squared=False):
    feature = np.asarray(feature, F32)
    sq = np.sum(np.square(feature), axis=1, keepdims=True)
    d2 = (sq + sq.T) - F32(2.0) * (feature @ feature.T)
    d2 = np.maximum(d2, F32(0.0))
    error_mask = d2 <= 0.0
    if squared:
        d = d2
    else:
        d = np.sqrt(d2 + error_mask.astype(F32) * F32(1e-16))
    d = d * (~error_mask).astype(F32)
    return (d * (np.ones_like(d) - np.eye(len(d), dtype=F32))).astype(F32)


def angular_distance(feature):
    feature = np.asarray(feature, F32)
    norm = np.sum(np.square(feature), axis=1, keepdims=True)
    feature = feature / np.sqrt(np.maximum(norm, F32(1e-12)))
    return np.maximum(F32(1.0) - feature @ feature.T, F32(0.0)).astype(F32)


def distance_matrix(embeddings, distance_metric="L2"):
    if distance_metric == "L2":
        return pairwise_distance(embeddings, squared=False)
    if distance_metric == "squared-L2":
        return pairwise_distance(embeddings, squared=True)
    if distance_metric == "angular":
        return angular_distance(embeddings)
    return np.asarray(distance_metric(embeddings), F32)


def masked_maximum(data, mask, dim=1):
    axis_minimums = np.min(data, dim, keepdims=True)
    return np.max((data - axis_minimums) * mask, dim, keepdims=True) + axis_minimums


def masked_minimum(data, mask, dim=1):
    axis_maximums = np.max(data, dim, keepdims=True)
    return np.min((data - axis_maximums) * mask, dim, keepdims=True) + axis_maximums


def semihard_negatives(pdist, labels):
    """TF-Addons' `semi_hard_negatives` matrix `(B, B)` for a distance matrix."""
    labels = np.asarray(labels).reshape(-1, 1)
    b = labels.shape[0]
    adjacency_not = labels != labels.T
    tile = np.tile(pdist, [b, 1])
    mask = np.logical_and(np.tile(adjacency_not, [b, 1]), tile > pdist.T.reshape(-1, 1))
    mask_final = (np.sum(mask.astype(F32), 1, keepdims=True) > 0.0).reshape(b, b).T
    outside = masked_minimum(tile, mask.astype(F32)).reshape(b, b).T
    inside = np.tile(masked_maximum(pdist, adjacency_not.astype(F32)), [1, b])
    return np.where(mask_final, outside, inside).astype(F32)


def triplet_semihard_loss(y_true, y_pred, margin=1.0, distance_metric="L2"):
    labels = np.asarray(y_true).reshape(-1, 1)
    pdist = distance_matrix(y_pred, distance_metric)
    b = labels.shape[0]
    loss_mat = F32(margin) + (pdist - semihard_negatives(pdist, labels))
    mask_positives = (labels == labels.T).astype(F32) - np.eye(b, dtype=F32)
    num_positives = np.sum(mask_positives)
    return F32(np.sum(np.maximum(loss_mat * mask_positives, 0.0)) / num_positives)


def triplet_hard_loss(y_true, y_pred, margin=1.0, soft=False, distance_metric="L2"):
    labels = np.asarray(y_true).reshape(-1, 1)
    pdist = distance_matrix(y_pred, distance_metric)
    b = labels.shape[0]
    adjacency = labels == labels.T
    hard_negatives = masked_minimum(pdist, (~adjacency).astype(F32))
    mask_positives = adjacency.astype(F32) - np.eye(b, dtype=F32)
    hard_positives = masked_maximum(pdist, mask_positives)
    if soft:
        loss = np.log1p(np.exp(hard_positives - hard_negatives))
    else:
        loss = np.maximum(hard_positives - hard_negatives + F32(margin), 0.0)
    return F32(np.mean(loss))


def contrastive_loss(y_true, y_pred, margin=1.0):
    y_pred = np.asarray(y_pred, F32)
    y_true = np.asarray(y_true).astype(F32)
    return y_true * np.square(y_pred) + (1.0 - y_true) * np.square(
        np.maximum(F32(margin) - y_pred, 0.0)
    )


# TF-Addons 0.23's constructor and function defaults, copied from its source at v0.23.0:
# tensorflow_addons/losses/triplet.py (TripletSemiHardLoss.__init__, TripletHardLoss.__init__,
# triplet_semihard_loss, triplet_hard_loss) and contrastive.py (ContrastiveLoss.__init__,
# contrastive_loss). "name": None is TF-Addons' default; its reduction for the triplet classes
# is fixed to NONE (the loss is already a scalar).
TFA_DEFAULTS = {
    "TripletSemiHardLoss": {"margin": 1.0, "distance_metric": "L2", "name": None},
    "TripletHardLoss": {"margin": 1.0, "soft": False, "distance_metric": "L2", "name": None},
    "ContrastiveLoss": {
        "margin": 1.0,
        "reduction": "sum_over_batch_size",
        "name": "contrastive_loss",
    },
    "triplet_semihard_loss": {"margin": 1.0, "distance_metric": "L2"},
    "triplet_hard_loss": {"margin": 1.0, "soft": False, "distance_metric": "L2"},
    "contrastive_loss": {"margin": 1.0},
}
