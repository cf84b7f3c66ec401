"""Feature Incay: a reciprocal feature-norm penalty on correctly classified samples."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.utils.validation import check_choice, check_non_negative, check_positive


@keras.saving.register_keras_serializable(package="kzoo")
class FeatureIncay(keras.layers.Layer):
    """Adds `weight · mean_i h_i / (‖x_i‖² + ε)` to the model losses and passes `logits` through.

    Called as `logits = FeatureIncay(...)([features, logits, labels])` between the head and the
    model output, so the penalty is collected by `model.fit` through `add_loss` (a Keras
    regularizer cannot do this: it never sees labels or logits). The reciprocal norm grows
    without bound as ‖x‖ → 0 and its gradient shrinks as ‖x‖ grows, so it enlarges small
    feature norms of well-classified samples faster than large ones.

    `h_i` says how well sample i is classified, from the margin `d_i = z_{i,y} - max_{j≠y} z_{ij}`:
    - `mode="hard"`: the paper's indicator `h_i = 1[d_i > 0]` (correctly classified);
    - `mode="smooth"`: `h_i = sigmoid(d_i / temperature)`, continuous in d (the seed's critique:
      the hard indicator cannot tell a sample on the boundary from a badly misclassified one).
    In both modes `h` is a constant for back-propagation: a gradient through `h` would lower the
    penalty by *misclassifying* samples. With `weight=0` the layer is an identity.

    Args:
        weight: multiplier of the penalty (≥ 0).
        mode: "hard" or "smooth".
        temperature: softness of the smooth indicator, in logit units (> 0).
        epsilon: added to ‖x‖² so zero features give a finite penalty.
        **kwargs: base `keras.layers.Layer` arguments.

    Example:
    >>> logits = kzoo.heads.NormFace(10)([features, labels])
    >>> logits = kzoo.layers.FeatureIncay(0.01, mode="smooth")([features, logits, labels])

    Reference: Yuan, Yang, Zhang, "Feature Incay for Representation Regularization",
    arXiv:1705.10284, 2017 (reciprocal norm loss).
    """

    def __init__(
        self,
        weight: float = 0.01,
        mode: str = "hard",
        temperature: float = 1.0,
        epsilon: float = 1e-6,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.weight = check_non_negative("weight", weight)
        self.mode = check_choice("mode", mode, ("hard", "smooth"))
        self.temperature = check_positive("temperature", temperature)
        self.epsilon = check_positive("epsilon", epsilon)

    def penalty(self, features: Any, logits: Any, labels: Any) -> Any:
        """The scalar penalty (already multiplied by `weight`), in float32."""
        features = ops.cast(features, "float32")
        logits = ops.cast(logits, "float32")
        labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        one_hot = ops.one_hot(labels, ops.shape(logits)[-1], dtype="float32")
        target = ops.sum(logits * one_hot, axis=-1)
        others = ops.max(ops.where(one_hot > 0, float("-inf"), logits), axis=-1)
        margin = target - others
        if self.mode == "hard":
            h = ops.cast(margin > 0.0, "float32")
        else:
            h = ops.sigmoid(margin / self.temperature)
        h = ops.stop_gradient(h)
        squared_norms = ops.sum(ops.square(features), axis=-1)
        return self.weight * ops.mean(h / (squared_norms + self.epsilon))

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 3:
            raise ValueError("FeatureIncay takes `[features, logits, labels]` as inputs.")
        features, logits, labels = inputs
        if len(features.shape) != 2 or len(logits.shape) != 2:
            raise ValueError(
                "`features` and `logits` must have rank 2, got shapes "
                f"{tuple(features.shape)} and {tuple(logits.shape)}."
            )
        if self.weight > 0:
            self.add_loss(self.penalty(features, logits, labels))
        return logits

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return tuple(input_shape[1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "weight": self.weight,
                "mode": self.mode,
                "temperature": self.temperature,
                "epsilon": self.epsilon,
            }
        )
        return config
