"""Magnitude functions h and angular activations g of decoupled operators.

Liu et al., "Decoupled Networks", CVPR 2018, reparametrize the inner product
⟨w, x⟩ = ‖w‖‖x‖cos θ as h(‖w‖, ‖x‖)·g(θ). This module holds the paper's h and g as small
pure `keras.ops` functions and one registry mapping their names to them.

Magnitude functions take a norm r = ‖x‖ (or ‖w‖ for the weighted variants) and the keyword
arguments `alpha`, `rho`, `beta` (each ignores the ones it does not use):

| name | family | h(r) |
|---|---|---|
| `sphere` (SphereConv) | bounded | α |
| `ball` (BallConv) | bounded | α·min(r, ρ)/ρ |
| `tanh` (TanhConv) | bounded | α·tanh(r/ρ) |
| `linear` (LinearConv) | unbounded | α·r |
| `segmented` (SegConv) | unbounded | α·r if r ≤ ρ, else β·r + (α − β)·ρ |
| `log` (LogConv) | unbounded | α·log(1 + r) |
| `mix` (MixConv) | unbounded | α·r + β·log(1 + r) |

Angular activations take c = cos θ (and `k` for the sigmoid one):

| name | g(θ) |
|---|---|
| `linear` | 1 − 2θ/π |
| `cosine` | cos θ |
| `sigmoid` | (1 + e^(−π/2k))/(1 − e^(−π/2k)) · (1 − e^(θ/k − π/2k))/(1 + e^(θ/k − π/2k)) |
| `square_cosine` | sign(cos θ)·cos² θ |

Everything uses TFLite builtins only (no acos/asin): θ = arctan2(√(1 − c²), c) with 1 − c²
floored at `ANGLE_EPSILON` = 1e-6, so gradients stay finite at c = ±1 (|dθ/dc| ≤ 1000). The
floor changes θ only where |c| > 1 − 5·10⁻⁷, by at most 1e-3 rad; elsewhere θ is exact to
float rounding. The sigmoid activation is evaluated in the equivalent, overflow-free form
tanh((π/2 − θ)/(2k)) / tanh(π/(4k)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from keras import ops

ANGLE_EPSILON = 1e-6
BOUNDED_MAGNITUDES = ("sphere", "ball", "tanh")
UNBOUNDED_MAGNITUDES = ("linear", "segmented", "log", "mix")


def angle_from_cos(cos: Any) -> Any:
    """θ = arccos(cos) via arctan2, with finite gradients at cos = ±1 (see module docstring)."""
    cos = ops.clip(cos, -1.0, 1.0)
    sin = ops.sqrt(ops.maximum(1.0 - ops.square(cos), ANGLE_EPSILON))
    return ops.arctan2(sin, cos)


def sphere_magnitude(norm: Any, alpha: float = 1.0, rho: Any = 1.0, beta: float = 0.5) -> Any:
    """SphereConv: h = α (bounded)."""
    return ops.ones_like(norm) * alpha


def ball_magnitude(norm: Any, alpha: float = 1.0, rho: Any = 1.0, beta: float = 0.5) -> Any:
    """BallConv: h = α·min(‖x‖, ρ)/ρ (bounded)."""
    return alpha * ops.minimum(norm, rho) / rho


def tanh_magnitude(norm: Any, alpha: float = 1.0, rho: Any = 1.0, beta: float = 0.5) -> Any:
    """TanhConv: h = α·tanh(‖x‖/ρ) (bounded)."""
    return alpha * ops.tanh(norm / rho)


def linear_magnitude(norm: Any, alpha: float = 1.0, rho: Any = 1.0, beta: float = 0.5) -> Any:
    """LinearConv: h = α·‖x‖ (unbounded)."""
    return alpha * norm


def segmented_magnitude(norm: Any, alpha: float = 1.0, rho: Any = 1.0, beta: float = 0.5) -> Any:
    """SegConv: h = α‖x‖ for ‖x‖ ≤ ρ, β‖x‖ + (α − β)ρ beyond (unbounded, continuous)."""
    return alpha * ops.minimum(norm, rho) + beta * ops.relu(norm - rho)


def log_magnitude(norm: Any, alpha: float = 1.0, rho: Any = 1.0, beta: float = 0.5) -> Any:
    """LogConv: h = α·log(1 + ‖x‖) (unbounded)."""
    return alpha * ops.log1p(norm)


def mix_magnitude(norm: Any, alpha: float = 1.0, rho: Any = 1.0, beta: float = 0.5) -> Any:
    """MixConv: h = α‖x‖ + β·log(1 + ‖x‖) (unbounded)."""
    norm = ops.convert_to_tensor(norm)
    return alpha * norm + beta * ops.log1p(norm)


def linear_angular(cos: Any, k: float = 0.3) -> Any:
    """Linear angular activation g = 1 − 2θ/π."""
    return 1.0 - (2.0 / math.pi) * angle_from_cos(cos)


def cosine_angular(cos: Any, k: float = 0.3) -> Any:
    """Cosine angular activation g = cos θ (the inner product's own)."""
    return ops.clip(cos, -1.0, 1.0)


def sigmoid_angular(cos: Any, k: float = 0.3) -> Any:
    """Sigmoid angular activation with steepness k (SphereNet, Liu et al. 2017)."""
    theta = angle_from_cos(cos)
    return ops.tanh((math.pi / 2.0 - theta) / (2.0 * k)) / math.tanh(math.pi / (4.0 * k))


def square_cosine_angular(cos: Any, k: float = 0.3) -> Any:
    """Square-cosine angular activation g = sign(cos θ)·cos² θ, computed as c·|c|."""
    cos = ops.clip(cos, -1.0, 1.0)
    return cos * ops.abs(cos)


MAGNITUDE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sphere": sphere_magnitude,
    "ball": ball_magnitude,
    "tanh": tanh_magnitude,
    "linear": linear_magnitude,
    "segmented": segmented_magnitude,
    "log": log_magnitude,
    "mix": mix_magnitude,
}

ANGULAR_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "linear": linear_angular,
    "cosine": cosine_angular,
    "sigmoid": sigmoid_angular,
    "square_cosine": square_cosine_angular,
}


def get_magnitude_function(name: str) -> Callable[..., Any]:
    """Returns the magnitude function registered under `name` (see `MAGNITUDE_FUNCTIONS`)."""
    if not isinstance(name, str) or name not in MAGNITUDE_FUNCTIONS:
        raise ValueError(
            f"`magnitude` must be one of {sorted(MAGNITUDE_FUNCTIONS)}; received {name!r}."
        )
    return MAGNITUDE_FUNCTIONS[name]


def get_angular_function(name: str) -> Callable[..., Any]:
    """Returns the angular activation registered under `name` (see `ANGULAR_FUNCTIONS`)."""
    if not isinstance(name, str) or name not in ANGULAR_FUNCTIONS:
        raise ValueError(
            f"`angular` must be one of {sorted(ANGULAR_FUNCTIONS)}; received {name!r}."
        )
    return ANGULAR_FUNCTIONS[name]
