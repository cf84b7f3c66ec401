"""acos-free angle arithmetic on cosines: sin θ, cos(θ + m), cos(m1·θ + m2).

Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops

from kzoo.ops.cos_m_theta import cos_m_theta, sin_m_theta_over_sin_theta

SIN_EPSILON = 1e-7


def sin_from_cos(cos_theta: Any, epsilon: float = SIN_EPSILON) -> Any:
    """sin θ = sqrt(max(1 - cos²θ, ε)) for θ ∈ [0, π]; the clamp keeps the gradient finite at ±1.

    Args:
        cos_theta: tensor of cosines in [-1, 1].
        epsilon: floor of 1 - cos²θ (so sin θ ≥ sqrt(ε)).
    """
    return ops.sqrt(ops.maximum(1.0 - ops.square(cos_theta), epsilon))


def cos_theta_plus_margin(cos_theta: Any, margin: float) -> Any:
    """cos(θ + m) = cos θ cos m - sin θ sin m (no `acos`, exportable to TFLite).

    Args:
        cos_theta: tensor of cosines in [-1, 1].
        margin: additive angular margin m in radians.

    Example:
    >>> cos_theta_plus_margin(ops.convert_to_tensor([1.0]), 0.5)  # ≈ cos(0.5)
    """
    cos_theta = ops.convert_to_tensor(cos_theta)
    return cos_theta * math.cos(margin) - sin_from_cos(cos_theta) * math.sin(margin)


def cos_multiplicative_additive(cos_theta: Any, m1: int, m2: float) -> Any:
    """cos(m1·θ + m2) for integer m1 ≥ 1 through Chebyshev polynomials (no `acos`).

    cos(m1θ) = T_m1(cos θ), sin(m1θ) = sin θ · U_{m1-1}(cos θ), then the angle-sum identity.

    Args:
        cos_theta: tensor of cosines in [-1, 1].
        m1: positive integer multiplicative angular margin.
        m2: additive angular margin in radians.
    """
    cos_theta = ops.convert_to_tensor(cos_theta)
    cos_m1 = cos_m_theta(cos_theta, m1)
    sin_m1 = sin_from_cos(cos_theta) * sin_m_theta_over_sin_theta(cos_theta, m1)
    return cos_m1 * math.cos(m2) - sin_m1 * math.sin(m2)
