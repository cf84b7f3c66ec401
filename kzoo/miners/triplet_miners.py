"""Hard and semi-hard mining as pure functions on a distance matrix and labels.

They return values or boolean masks, so any pair or triplet loss can use them:
triplet masks `(B, B, B)` index `[anchor, positive, negative]`, pair masks `(B, B)`.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from kzoo.ops.label_masks import negative_mask, positive_mask, triplet_mask
from kzoo.ops.masked_reductions import masked_maximum, masked_minimum

TRIPLET_TYPES = ("all", "hard", "semihard", "easy")


def semihard_negatives(distances: Any, labels: Any) -> Any:
    """TF-Addons' semi-hard negative distance for every (anchor, positive) cell.

    `S[a, p]` is the smallest `d(a, n)` over negatives with `d(a, n) > d(a, p)`; where no
    such negative exists, the largest negative distance of the anchor (and, with no
    negatives at all, the row minimum, as TF-Addons' masked maximum gives). This is what
    TF-Addons 0.23's code computes (its docstring says otherwise), to the last bit. Runs
    in O(B^2 log B) memory/time with a batched binary search instead of TF-Addons' O(B^3) tiling.

    Args:
        distances: `(B, B)` distance matrix.
        labels: `(B,)` integer labels.

    Returns:
        `(B, B)` tensor; gradients flow to the chosen entries of `distances`.
    """
    neg = negative_mask(labels)
    d_fixed = ops.stop_gradient(distances)
    big = ops.max(d_fixed) + 1.0
    keyed = ops.where(neg, d_fixed, big)
    order = ops.argsort(keyed, axis=1)
    ranked = ops.take_along_axis(keyed, order, axis=1)
    num_neg = ops.sum(ops.cast(neg, "int32"), axis=1, keepdims=True)
    b = ops.shape(distances)[0]
    static_b = distances.shape[0]
    steps = math.ceil(math.log2(static_b + 1)) if isinstance(static_b, int) else 31
    lo = ops.zeros_like(d_fixed, dtype="int32")
    hi = ops.zeros_like(d_fixed, dtype="int32") + ops.cast(num_neg, "int32")
    for _ in range(steps):
        mid = (lo + hi) // 2
        probe = ops.take_along_axis(ranked, ops.minimum(mid, b - 1), axis=1)
        active = ops.less(lo, hi)
        go_right = ops.less_equal(probe, d_fixed)
        lo = ops.where(ops.logical_and(active, go_right), mid + 1, lo)
        hi = ops.where(ops.logical_and(active, ops.logical_not(go_right)), mid, hi)
    found = ops.less(lo, num_neg)
    column = ops.take_along_axis(order, ops.minimum(lo, b - 1), axis=1)
    outside = ops.take_along_axis(distances, column, axis=1)
    value = ops.stop_gradient(outside)
    row_max = ops.max(d_fixed, axis=1, keepdims=True)
    outside = outside + ops.stop_gradient(((value - row_max) + row_max) - value)
    inside = masked_maximum(distances, neg)
    return ops.where(found, outside, inside)


def positive_columns(labels: Any, width: int) -> tuple[Any, Any]:
    """Up to `width - 1` positives per anchor, gathered without a `(B, B)` scan.

    The batch is sorted by label once; an anchor's positives are then the run of its label in
    that order. Returns `(columns, valid)`, both `(B, width)`: column indices into the batch
    and whether each is a positive of the anchor (not the anchor itself, inside the run).
    Anchors with more than `width - 1` positives are truncated; callers check
    `max_label_count(labels) <= width` first.
    """
    b = ops.shape(labels)[0]
    order = ops.argsort(labels)
    sorted_labels = ops.take(labels, order)
    start = ops.searchsorted(sorted_labels, labels, side="left")
    position = ops.expand_dims(start, 1) + ops.expand_dims(ops.arange(width, dtype=start.dtype), 0)
    inside = ops.less(position, b)
    position = ops.minimum(position, b - 1)
    columns = ops.take(order, position)
    rows = ops.expand_dims(ops.arange(b, dtype=columns.dtype), 1)
    valid = ops.logical_and(
        ops.logical_and(inside, ops.equal(ops.take(sorted_labels, position), labels[:, None])),
        ops.not_equal(columns, rows),
    )
    return ops.cast(columns, "int32"), valid


def max_label_count(labels: Any) -> Any:
    """The size of the largest class in the batch (a scalar int tensor)."""
    order = ops.sort(labels)
    left = ops.searchsorted(order, labels, side="left")
    right = ops.searchsorted(order, labels, side="right")
    return ops.max(right - left)


def semihard_negatives_of(distances: Any, labels: Any, columns: Any) -> Any:
    """TF-Addons' semi-hard negative distance for the `(anchor, columns[a, k])` cells.

    Same values as `semihard_negatives(distances, labels)` taken at those cells, bit for bit
    (TF-Addons' `(d - rowmax) + rowmax` arithmetic included), in `O(B^2 K)` time and memory
    for `K` columns per anchor instead of a sort of every row.

    Returns:
        `(B, K)` tensor; gradients flow to the chosen entries of `distances`.
    """
    neg = negative_mask(labels)
    d_fixed = ops.stop_gradient(distances)
    d_ap = ops.take_along_axis(d_fixed, columns, axis=1)
    candidates = ops.logical_and(
        ops.expand_dims(neg, 1),
        ops.greater(ops.expand_dims(d_fixed, 1), ops.expand_dims(d_ap, 2)),
    )
    keyed = ops.where(candidates, ops.expand_dims(d_fixed, 1), float("inf"))
    smallest = ops.min(keyed, axis=2)
    found = ops.isfinite(smallest)
    # the selected entry again, differentiably: the first column holding that value
    hit = ops.logical_and(candidates, ops.equal(ops.expand_dims(d_fixed, 1), smallest[..., None]))
    chosen = ops.argmax(ops.cast(hit, "int8"), axis=2)
    outside = ops.take_along_axis(distances, ops.cast(chosen, "int32"), axis=1)
    row_max = ops.max(d_fixed, axis=1, keepdims=True)
    smallest = ops.where(found, smallest, ops.zeros_like(smallest))
    outside = outside + ops.stop_gradient(((smallest - row_max) + row_max) - smallest)
    inside = masked_maximum(distances, neg)
    return ops.where(found, outside, inside)


def hardest_negatives(distances: Any, labels: Any) -> Any:
    """`(B, 1)` smallest negative distance per anchor (row maximum when it has none)."""
    return masked_minimum(distances, negative_mask(labels))


def hardest_positives(distances: Any, labels: Any) -> Any:
    """`(B, 1)` largest positive distance per anchor (row minimum, 0 for L2, when it has none)."""
    return masked_maximum(distances, positive_mask(labels))


def triplet_margins(distances: Any) -> Any:
    """`M[a, p, n] = d(a, n) - d(a, p)`."""
    return ops.expand_dims(distances, 1) - ops.expand_dims(distances, 2)


def triplet_margin_mask(
    distances: Any, labels: Any, margin: float = 0.2, type_of_triplets: str = "all"
) -> Any:
    """Valid triplets selected as PyTorch Metric Learning's `TripletMarginMiner` does.

    With `m = d(a, n) - d(a, p)`: "all" keeps `m <= margin`, "hard" `m <= margin and m <= 0`,
    "semihard" `0 < m <= margin`, "easy" `m > margin`.

    Returns:
        `(B, B, B)` boolean mask `[anchor, positive, negative]`.
    """
    if type_of_triplets not in TRIPLET_TYPES:
        raise ValueError(
            f"type_of_triplets must be one of {TRIPLET_TYPES}, got {type_of_triplets!r}."
        )
    m = ops.stop_gradient(triplet_margins(distances))
    if type_of_triplets == "easy":
        keep = ops.greater(m, margin)
    else:
        keep = ops.less_equal(m, margin)
        if type_of_triplets == "hard":
            keep = ops.logical_and(keep, ops.less_equal(m, 0.0))
        elif type_of_triplets == "semihard":
            keep = ops.logical_and(keep, ops.greater(m, 0.0))
    return ops.logical_and(keep, triplet_mask(labels))


def semihard_triplet_mask(distances: Any, labels: Any, margin: float = 0.2) -> Any:
    """`triplet_margin_mask(..., type_of_triplets="semihard")`."""
    return triplet_margin_mask(distances, labels, margin, "semihard")


def hard_triplet_mask(distances: Any, labels: Any, margin: float = 0.2) -> Any:
    """`triplet_margin_mask(..., type_of_triplets="hard")`."""
    return triplet_margin_mask(distances, labels, margin, "hard")


def pair_masks_from_triplets(mask: Any) -> tuple[Any, Any]:
    """The positive and negative pairs used by a triplet mask, for pair losses."""
    return ops.any(mask, axis=2), ops.any(mask, axis=1)


def hardest_pair_masks(distances: Any, labels: Any) -> tuple[Any, Any]:
    """Per anchor, its farthest positive and its closest negative (batch-hard pairs)."""
    pos, neg = positive_mask(labels), negative_mask(labels)
    d = ops.stop_gradient(ops.convert_to_tensor(distances))
    top = ops.max(d) + 1.0
    far = ops.max(ops.where(pos, d, -top), axis=1, keepdims=True)
    near = ops.min(ops.where(neg, d, top), axis=1, keepdims=True)
    hardest_pos = ops.logical_and(pos, ops.equal(d, far))
    hardest_neg = ops.logical_and(neg, ops.equal(d, near))
    return hardest_pos, hardest_neg
