from __future__ import annotations

from typing import Any

import keras

from kzoo.ops.l2_normalize import l2_normalize


@keras.saving.register_keras_serializable(package="kzoo")
class L2Normalization(keras.layers.Layer):
    """L2-normalises the last axis; zero vectors stay zero, with finite gradients.

    Unlike `keras.layers.UnitNormalization`, whose gradient is NaN at a zero vector.

    Args:
        epsilon: norms below it are treated as `epsilon`.

    Example:
    >>> embedding = kzoo.layers.L2Normalization(name="embedding")(features)
    """

    def __init__(self, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, x: Any) -> Any:
        return l2_normalize(x, axis=-1, epsilon=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "epsilon": self.epsilon}
