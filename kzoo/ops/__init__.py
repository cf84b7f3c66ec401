"""Pure `keras.ops` functions shared by kzoo layers, heads and losses."""

from kzoo.ops.angular_margin import cos_multiplicative_additive as cos_multiplicative_additive
from kzoo.ops.angular_margin import cos_theta_plus_margin as cos_theta_plus_margin
from kzoo.ops.angular_margin import sin_from_cos as sin_from_cos
from kzoo.ops.cos_m_theta import cos_m_theta as cos_m_theta
from kzoo.ops.cos_m_theta import lsoftmax_psi as lsoftmax_psi
from kzoo.ops.cos_m_theta import multiple_angle_index as multiple_angle_index
from kzoo.ops.cos_m_theta import sin_m_theta_over_sin_theta as sin_m_theta_over_sin_theta
from kzoo.ops.decoupled_functions import ANGULAR_FUNCTIONS as ANGULAR_FUNCTIONS
from kzoo.ops.decoupled_functions import BOUNDED_MAGNITUDES as BOUNDED_MAGNITUDES
from kzoo.ops.decoupled_functions import MAGNITUDE_FUNCTIONS as MAGNITUDE_FUNCTIONS
from kzoo.ops.decoupled_functions import UNBOUNDED_MAGNITUDES as UNBOUNDED_MAGNITUDES
from kzoo.ops.decoupled_functions import angle_from_cos as angle_from_cos
from kzoo.ops.decoupled_functions import get_angular_function as get_angular_function
from kzoo.ops.decoupled_functions import get_magnitude_function as get_magnitude_function
from kzoo.ops.l2_normalize import l2_normalize as l2_normalize
from kzoo.ops.l2_normalize import safe_norm as safe_norm
