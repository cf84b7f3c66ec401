from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from kzoo.utils.validation import check_int, check_non_negative


@keras.saving.register_keras_serializable(package="kzoo")
class NCELoss(keras.losses.Loss):
    """Noise-contrastive estimation loss of non-parametric instance discrimination.

    With uniform noise Pₙ = 1/n and m noise samples per instance, the posterior that a
    pair (j, f) comes from the data is h(j, f) = P(j|f) / (P(j|f) + m/n). Per instance

        J = −log h(i, f) − Σₖ log(1 − h(jₖ, f)),

    where column 0 of `y_pred` holds log P(i|f) for the instance itself and the other m
    columns hold log P(jₖ|f) for the noise rows (the output of
    `kzoo.layers.NCEMemoryBank(mode="nce")`). As in the reference implementation an
    `epsilon` is added to every denominator: h = P / (P + m/n + ε) and
    1 − h = (m/n) / (P + m/n + ε). The loss is computed in log space, so large scores do
    not overflow. `y_true` (the instance ids) is not used: the positive is column 0.

    Args:
        num_instances: n, the size of the memory bank (the uniform noise has Pₙ = 1/n).
        epsilon: ε added to the denominators. Defaults to 1e-7.
        reduction: Keras loss reduction. Defaults to `"sum_over_batch_size"` (the mean
            over instances, as in the reference).
        name: loss name.
        dtype: loss dtype (defaults to the float type of the global policy, float32).

    Example:
    ```python
    loss = kzoo.losses.NCELoss(num_instances=60000)
    model.compile(optimizer="sgd", loss=loss)  # model ends with NCEMemoryBank
    ```

    Reference: Wu, Xiong, Yu, Lin, "Unsupervised Feature Learning via Non-Parametric
    Instance Discrimination", CVPR 2018 (Eqs. 4–5); Gutmann, Hyvärinen, "Noise-contrastive
    estimation", AISTATS 2010.
    """

    def __init__(
        self,
        num_instances: int,
        epsilon: float = 1e-7,
        reduction: str | None = "sum_over_batch_size",
        name: str = "nce_loss",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        check_int("num_instances", num_instances, 2)
        self.num_instances = num_instances
        self.epsilon = check_non_negative("epsilon", epsilon)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        y_pred = ops.cast(y_pred, "float32")
        if len(y_pred.shape) != 2 or y_pred.shape[-1] is None or y_pred.shape[-1] < 2:
            raise ValueError(
                "`y_pred` must have shape (batch, 1 + num_negatives) with num_negatives >= 1. "
                f"Received: y_pred.shape={y_pred.shape}"
            )
        noise_mass = (y_pred.shape[-1] - 1) / self.num_instances
        log_denominator_offset = math.log(noise_mass + self.epsilon)
        log_p_positive = y_pred[:, 0]
        log_p_noise = y_pred[:, 1:]
        log_h_positive = -ops.softplus(log_denominator_offset - log_p_positive)
        log_not_h_noise = math.log(noise_mass) - ops.logaddexp(log_p_noise, log_denominator_offset)
        return -(log_h_positive + ops.sum(log_not_h_noise, axis=-1))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"num_instances": self.num_instances, "epsilon": self.epsilon})
        return config
