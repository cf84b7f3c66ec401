"""Row-wise log-sum-exp over masked entries, and cosine similarity matrices."""

from __future__ import annotations

from typing import Any

from keras import ops

from kzoo.ops.l2_normalize import l2_normalize


def masked_logsumexp(x: Any, mask: Any, axis: int = 1, add_one: bool = False) -> Any:
    """log Σ_{mask} exp(x) along `axis` (keeping it), 0 where the mask is empty.

    With `add_one=True` a zero logit joins the sum: log(1 + Σ_{mask} exp(x)). This is PyTorch
    Metric Learning's `lmu.logsumexp(x, keep_mask, add_one, dim)`. The maximum is subtracted
    first (as a constant), so large logits do not overflow and gradients stay finite; a NaN in
    a kept entry gives NaN.

    Args:
        x: float tensor.
        mask: boolean tensor broadcastable to `x`, the entries that take part.
        axis: the axis reduced.
        add_one: include exp(0) = 1 in the sum.

    Example:
    >>> masked_logsumexp(ops.zeros((1, 3)), ops.convert_to_tensor([[True, True, False]]))
    # [[log 2]]
    """
    x = ops.convert_to_tensor(x)
    mask = ops.logical_and(ops.cast(mask, "bool"), ops.ones_like(x, dtype="bool"))
    any_kept = ops.any(mask, axis=axis, keepdims=True)
    lowest = ops.full_like(x, -3.0e38)
    peak = ops.max(ops.where(mask, x, lowest), axis=axis, keepdims=True)
    if add_one:
        peak = ops.maximum(peak, 0.0)
    peak = ops.stop_gradient(ops.where(any_kept, peak, ops.zeros_like(peak)))
    shifted = ops.where(mask, x - peak, lowest)
    total = ops.sum(ops.where(mask, ops.exp(shifted), ops.zeros_like(x)), axis=axis, keepdims=True)
    if add_one:
        total = total + ops.exp(-peak)
    safe_total = ops.where(any_kept, total, ops.ones_like(total))
    return ops.where(any_kept, peak + ops.log(safe_total), ops.zeros_like(total))


def cosine_similarity_matrix(query: Any, reference: Any) -> Any:
    """`S[i, j] = cos(query_i, reference_j)` on L2-normalized rows (zero rows give 0)."""
    return ops.matmul(l2_normalize(query, axis=-1), ops.transpose(l2_normalize(reference, axis=-1)))
