"""Argument checks shared by kzoo's layers, heads and losses: one message format everywhere.

Every failure reads "`name` must be <requirement>. Received: name=<value>" and raises
`TypeError` for a value of the wrong kind and `ValueError` for a value out of range. Numbers
may be Python or NumPy scalars (`np.float32(0.5)` is fine); booleans, NaN and infinities are
refused wherever a number is expected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from keras import backend, ops

INT32_MAX = 2**31 - 1


class Shown(str):
    """A value already written for a message (a summary of a tensor): shown without quotes."""

    def __repr__(self) -> str:
        return str(self)


def fail(name: str, requirement: str, value: Any, error: type = ValueError) -> None:
    """Raises `error` with kzoo's one argument-error message."""
    raise error(f"`{name}` must be {requirement}. Received: {name}={value!r}")


def _is_real(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and np.issubdtype(value.dtype, np.number)
    return isinstance(value, (int, float, np.integer, np.floating))


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """`value` as an int within `[minimum, maximum]`; NumPy integers accepted."""
    bounds = _bounds_text(minimum, maximum, True, True)
    requirement = f"an int{bounds}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        fail(name, requirement, value, ValueError)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        fail(name, requirement, value)
    return int(value)


def check_float(
    name: str,
    value: Any,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> float:
    """`value` as a finite float within the given bounds (`TypeError` for a non-number)."""
    bounds = _bounds_text(minimum, maximum, min_inclusive, max_inclusive)
    requirement = f"a finite number{bounds}"
    if not _is_real(value):
        fail(name, requirement, value, TypeError)
    number = float(value)
    if not math.isfinite(number):
        fail(name, requirement, value)
    if minimum is not None and (number < minimum or (not min_inclusive and number == minimum)):
        fail(name, requirement, value)
    if maximum is not None and (number > maximum or (not max_inclusive and number == maximum)):
        fail(name, requirement, value)
    return number


def check_positive(name: str, value: Any) -> float:
    """A finite number > 0 (scales, temperatures, epsilons)."""
    return check_float(name, value, minimum=0.0, min_inclusive=False)


def check_non_negative(name: str, value: Any) -> float:
    """A finite number >= 0 (margins, weights)."""
    return check_float(name, value, minimum=0.0)


def check_bool(name: str, value: Any) -> bool:
    """A Python or NumPy bool."""
    if not isinstance(value, (bool, np.bool_)):
        fail(name, "a bool", value, TypeError)
    return bool(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """One of `choices`."""
    if not any(value is c or (type(value) is type(c) and value == c) for c in choices):
        fail(name, f"one of {tuple(choices)}", value)
    return value


def check_labels_array(name: str, values: np.ndarray, num_classes: int | None = None) -> None:
    """Concrete labels: finite, integer-valued, within int32 (and `[0, num_classes)`)."""
    values = np.asarray(values)
    if values.size == 0:
        return
    if values.dtype == bool or not np.issubdtype(values.dtype, np.number):
        fail(name, "integer class ids", Shown(f"<dtype {values.dtype}>"), TypeError)
    if np.issubdtype(values.dtype, np.floating):
        if not np.all(np.isfinite(values)):
            fail(name, "finite integer class ids", _summary(values))
        if not np.all(values == np.round(values)):
            bad = values[values != np.round(values)]
            fail(name, "integer-valued class ids", _summary(bad))
    low, high = values.min(), values.max()
    if low < -INT32_MAX - 1 or high > INT32_MAX:
        fail(name, "class ids within int32", _summary(values))
    if num_classes is not None and (low < 0 or high >= num_classes):
        fail(name, f"class ids in [0, num_classes={num_classes})", _summary(values))


def concrete(x: Any) -> np.ndarray | None:
    """The values of `x` when it is concrete (eager), None when symbolic (graph, tracer)."""
    if isinstance(x, (np.ndarray, np.generic, int, float, list, tuple)):
        return np.asarray(x)
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception:
        return None


def check_labels(labels: Any, name: str = "y_true", num_classes: int | None = None) -> tuple:
    """Integer labels `(B,)`/`(B, 1)` as flat int32, checked at the door.

    Concrete (eager) labels that are not integer-valued, outside int32 or outside
    `[0, num_classes)` raise `ValueError`. Symbolic labels (a compiled step) cannot raise on
    every backend: the second return value is then a boolean scalar tensor, False when some
    label is invalid, for the caller to turn the loss into NaN. It is None for eager labels.
    """
    labels = ops.convert_to_tensor(labels)
    dtype = backend.standardize_dtype(labels.dtype)
    if dtype == "bool" or not ("int" in dtype or "float" in dtype):
        fail(name, "integer class ids", Shown(f"<dtype {dtype}>"), TypeError)
    shape = tuple(labels.shape)
    if len(shape) > 2 or (len(shape) == 2 and shape[1] not in (1, None)) or len(shape) == 0:
        fail(name, "of shape (batch,) or (batch, 1)", Shown(f"<shape {shape}>"))
    labels = ops.reshape(labels, (-1,))
    values = concrete(labels)
    if values is not None:
        check_labels_array(name, values, num_classes)
        return ops.cast(labels, "int32"), None
    low = 0 if num_classes is not None else -INT32_MAX - 1
    high = num_classes - 1 if num_classes is not None else INT32_MAX
    if "float" in dtype:
        wide = ops.cast(labels, "float32")
        valid = ops.logical_and(ops.equal(ops.floor(wide), wide), ops.isfinite(wide))
    else:
        wide = labels
        valid = ops.ones_like(labels, dtype="bool")
    if dtype not in ("int8", "int16", "uint8", "uint16") or num_classes is not None:
        valid = ops.logical_and(valid, ops.logical_and(wide >= low, wide <= high))
    valid = ops.all(valid)
    safe = ops.where(valid, labels, ops.zeros_like(labels))
    return ops.cast(safe, "int32"), valid


def nan_unless(valid: Any, value: Any) -> Any:
    """`value` where `valid` (a boolean tensor or None), NaN elsewhere."""
    if valid is None:
        return value
    return ops.where(valid, value, ops.full_like(value, float("nan")))


def check_batch(name: str, size: Any, other: str, other_size: Any) -> None:
    """Two batch sizes must agree when both are known."""
    if size is not None and other_size is not None and size != other_size:
        raise ValueError(
            f"`{name}` must have one entry per row of `{other}` ({other_size}). "
            f"Received: {name} with {size} entries"
        )


def _summary(values: np.ndarray) -> str:
    values = np.asarray(values).ravel()
    shown = ", ".join(repr(v.item()) for v in values[:4])
    return Shown(f"[{shown}{', ...' if values.size > 4 else ''}]")


def _bounds_text(
    minimum: float | None, maximum: float | None, min_inclusive: bool, max_inclusive: bool
) -> str:
    if minimum is not None and maximum is not None:
        left, right = "[" if min_inclusive else "(", "]" if max_inclusive else ")"
        return f" in {left}{minimum:g}, {maximum:g}{right}"
    if minimum is not None:
        return f" {'>=' if min_inclusive else '>'} {minimum:g}"
    if maximum is not None:
        return f" {'<=' if max_inclusive else '<'} {maximum:g}"
    return ""
