"""L2 norms and normalization whose gradients stay finite at the zero vector."""

from __future__ import annotations

from typing import Any

from keras import ops


def safe_norm(x: Any, axis: int = -1, keepdims: bool = False, epsilon: float = 1e-12) -> Any:
    """sqrt(max(Σx², ε²)): equal to ‖x‖ unless ‖x‖ < ε, with a finite gradient (0) at x = 0.

    Args:
        x: input tensor.
        axis: axis to reduce.
        keepdims: keep the reduced axis with size 1.
        epsilon: smallest norm returned (computed in float32, so ε² does not underflow for
            float16/bfloat16 inputs; the result is cast back to the input dtype).

    Example:
    >>> safe_norm(ops.zeros((2, 3)))  # [1e-12, 1e-12]
    """
    x = ops.convert_to_tensor(x)
    squared = ops.sum(ops.square(ops.cast(x, "float32")), axis=axis, keepdims=keepdims)
    return ops.cast(ops.sqrt(ops.maximum(squared, epsilon * epsilon)), x.dtype)


def l2_normalize(x: Any, axis: int = -1, epsilon: float = 1e-12) -> Any:
    """x / max(‖x‖, ε) along `axis`; zero vectors map to zero with finite gradients.

    Unlike `keras.ops.normalize` (whose norm is `sqrt(Σx²)`, NaN gradient at 0), the norm is
    clamped before the square root. Below ε the output `x/ε` is treated as a constant by
    back-propagation: its slope 1/ε is an artefact of ε that overflows float16 gradients, and a
    (near-)zero vector has no direction to learn, so zero vectors give 0 with a zero gradient.
    Computed in float32 for float16/bfloat16 inputs (ε² would underflow) and cast back.

    Args:
        x: input tensor.
        axis: axis along which to normalize.
        epsilon: smallest norm divided by.

    Example:
    >>> l2_normalize(ops.convert_to_tensor([[3.0, 4.0]]))  # [[0.6, 0.8]]
    """
    x = ops.convert_to_tensor(x)
    dtype = x.dtype
    x32 = ops.cast(x, "float32")
    squared = ops.sum(ops.square(x32), axis=axis, keepdims=True)
    out = x32 * ops.rsqrt(ops.maximum(squared, epsilon * epsilon))
    out = ops.where(squared >= epsilon * epsilon, out, ops.stop_gradient(out))
    return ops.cast(out, dtype)
