"""cos(mθ), sin(mθ) and the L-Softmax ψ(θ) written as polynomials in cos θ (no `acos`).

Liu et al., "Large-Margin Softmax Loss for Convolutional Neural Networks", ICML 2016, eq. 6-7.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from kzoo.utils.validation import check_int


def cos_m_theta(cos_theta: Any, m: int) -> Any:
    """cos(mθ) as the Chebyshev polynomial T_m(cos θ).

    Args:
        cos_theta: tensor of cosines, values in [-1, 1].
        m: positive integer multiplier.

    Returns:
        A tensor like `cos_theta` holding cos(m·θ).

    Example:
    >>> cos_m_theta(ops.convert_to_tensor([0.5]), 2)  # cos(2·60°) = -0.5
    """
    m = check_int("m", m, 1)
    cos_theta = ops.convert_to_tensor(cos_theta)
    t_prev, t = ops.ones_like(cos_theta), cos_theta
    for _ in range(m - 1):
        t_prev, t = t, 2.0 * cos_theta * t - t_prev
    return t


def sin_m_theta_over_sin_theta(cos_theta: Any, m: int) -> Any:
    """sin(mθ)/sin θ as the Chebyshev polynomial of the second kind U_{m-1}(cos θ).

    Args:
        cos_theta: tensor of cosines, values in [-1, 1].
        m: positive integer multiplier.
    """
    m = check_int("m", m, 1)
    cos_theta = ops.convert_to_tensor(cos_theta)
    u_prev, u = ops.zeros_like(cos_theta), ops.ones_like(cos_theta)
    for _ in range(m - 1):
        u_prev, u = u, 2.0 * cos_theta * u - u_prev
    return u


def multiple_angle_index(cos_theta: Any, m: int) -> Any:
    """k = floor(θ·m/π) ∈ {0, …, m-1} from thresholds on cos θ (θ ∈ [kπ/m, (k+1)π/m]).

    Args:
        cos_theta: tensor of cosines, values in [-1, 1].
        m: positive integer multiplier.

    Returns:
        A tensor of the dtype of `cos_theta` holding k (a float, constant so no gradient).
    """
    m = check_int("m", m, 1)
    cos_theta = ops.convert_to_tensor(cos_theta)
    k = ops.zeros_like(cos_theta)
    for j in range(1, m):
        k = k + ops.cast(ops.less_equal(cos_theta, math.cos(j * math.pi / m)), cos_theta.dtype)
    return ops.stop_gradient(k)


def lsoftmax_psi(cos_theta: Any, m: int) -> Any:
    """ψ(θ) = (-1)^k cos(mθ) - 2k, monotonically decreasing on [0, π], ψ(θ) ≤ cos θ.

    Args:
        cos_theta: tensor of cosines, values in [-1, 1].
        m: positive integer margin (ψ = cos θ for m = 1).

    Example:
    >>> lsoftmax_psi(ops.convert_to_tensor([1.0, 0.0, -1.0]), 2)  # [1, -1, -3]
    """
    cos_theta = ops.convert_to_tensor(cos_theta)
    k = multiple_angle_index(cos_theta, m)
    sign = ops.cast(1.0 - 2.0 * ops.mod(k, 2.0), cos_theta.dtype)
    return ops.subtract(ops.multiply(sign, cos_m_theta(cos_theta, m)), ops.multiply(2.0, k))
