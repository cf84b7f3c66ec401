"""Masked row reductions with TF-Addons' semantics (defined for empty masks)."""

from __future__ import annotations

from typing import Any

from keras import ops


def masked_maximum(data: Any, mask: Any, axis: int = 1) -> Any:
    """Maximum of `data` over the entries where `mask` is true, keeping `axis`.

    As TF-Addons' `_masked_maximum`: where the mask is empty along `axis`, the result is
    the unmasked minimum along `axis`. Gradients are finite everywhere.
    """
    data = ops.convert_to_tensor(data)
    mask = ops.cast(mask, data.dtype)
    minimum = ops.min(data, axis=axis, keepdims=True)
    return ops.max((data - minimum) * mask, axis=axis, keepdims=True) + minimum


def masked_minimum(data: Any, mask: Any, axis: int = 1) -> Any:
    """Minimum of `data` over the entries where `mask` is true, keeping `axis`.

    As TF-Addons' `_masked_minimum`: an empty mask gives the unmasked maximum.
    """
    data = ops.convert_to_tensor(data)
    mask = ops.cast(mask, data.dtype)
    maximum = ops.max(data, axis=axis, keepdims=True)
    return ops.min((data - maximum) * mask, axis=axis, keepdims=True) + maximum


def masked_mean(data: Any, mask: Any, axis: Any = None) -> Any:
    """Mean over the masked entries; 0 (not NaN) when the mask is empty."""
    data = ops.convert_to_tensor(data)
    mask = ops.cast(mask, data.dtype)
    count = ops.sum(mask, axis=axis)
    return ops.sum(data * mask, axis=axis) / ops.maximum(count, 1.0)


def mean_of_positive(values: Any) -> Any:
    """Mean over the strictly positive entries (PML's `AvgNonZeroReducer`); 0 if there are none."""
    return masked_mean(values, ops.greater(values, 0.0))


def divide_no_nan(x: Any, y: Any) -> Any:
    """`x / y`, and 0 where `y == 0`."""
    safe = ops.where(ops.equal(y, 0.0), ops.ones_like(y), y)
    return ops.where(ops.equal(y, 0.0), ops.zeros_like(x), x / safe)
