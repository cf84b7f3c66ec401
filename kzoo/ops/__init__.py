"""Pure `keras.ops` functions shared by kzoo layers, heads and losses."""

from kzoo.ops.decoupled_functions import (
    ANGULAR_FUNCTIONS,
    BOUNDED_MAGNITUDES,
    MAGNITUDE_FUNCTIONS,
    UNBOUNDED_MAGNITUDES,
    angle_from_cos,
    get_angular_function,
    get_magnitude_function,
)

__all__ = [
    "ANGULAR_FUNCTIONS",
    "BOUNDED_MAGNITUDES",
    "MAGNITUDE_FUNCTIONS",
    "UNBOUNDED_MAGNITUDES",
    "angle_from_cos",
    "get_angular_function",
    "get_magnitude_function",
]
