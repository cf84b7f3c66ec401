"""Softmax cross-entropy of Partial FC logits, whose target is column 0."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kzoo")
class PartialFCLoss(keras.losses.Loss):
    """Cross-entropy over the sampled classes of a margin head with `sample_rate < 1`.

    A head with `sample_rate < 1` called on `[embeddings, labels]` returns logits over the
    batch's classes plus sampled negatives, with each row's (margined) target logit in column
    0, so the loss per sample is `logsumexp(logits) - logits[:, 0]`, InsightFace's Partial FC
    loss over the sampled classes. `y_true` (the original class ids) is accepted and unused: the
    head has already remapped the labels. With a full head (`sample_rate=1`) use
    `SparseCategoricalCrossentropy(from_logits=True)` instead.

    Args:
        reduction: Keras loss reduction. Defaults to `"sum_over_batch_size"`.
        name: loss name.
        dtype: loss dtype.

    Example:
    ```python
    head = kzoo.heads.ArcFace(num_classes=100_000, sample_rate=0.1)
    model = keras.Model([x, y], head([embed(x), y]))
    model.compile("sgd", loss=kzoo.losses.PartialFCLoss())
    ```

    Reference: An, Deng, Guo, et al., "Killing Two Birds with One Stone: Efficient and Robust
    Training of Face Recognition CNNs by Partial FC", CVPR 2022.
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "partial_fc_loss",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        logits = ops.cast(y_pred, "float32")
        return ops.logsumexp(logits, axis=-1) - logits[:, 0]
