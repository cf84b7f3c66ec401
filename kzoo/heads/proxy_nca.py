"""ProxyNCA: softmax over negative squared distances to one proxy per class."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.heads.proxy_head import ProxyHead
from kzoo.ops.l2_normalize import l2_normalize
from kzoo.utils.validation import check_positive


@keras.saving.register_keras_serializable(package="kzoo")
class ProxyNCA(ProxyHead):
    """ProxyNCA head: logits `-s · ‖x̂ - p̂_c‖²` over L2-normalized embeddings and proxies.

    The sparse categorical cross-entropy of these logits is PyTorch Metric Learning's
    `ProxyNCALoss(num_classes, embedding_size, softmax_scale)`; the proxies have PML's layout
    `(num_classes, embedding_dim)` and initialization (standard normal), so they copy 1:1.
    Labels only get checked: training and inference logits are the same.

    Args:
        num_classes: number of classes.
        softmax_scale: the scale s > 0 of the negative squared distances. Default 1.
        kernel_initializer: initializer of the proxies.
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.ProxyNCA(num_classes=100, softmax_scale=3.0)
    >>> logits = head([embeddings, labels])   # train with SparseCategoricalCrossentropy

    Reference: Movshovitz-Attias, Toshev, Leung, Ioffe, Singh, "No Fuss Distance Metric
    Learning using Proxies", ICCV 2017.
    """

    def __init__(
        self,
        num_classes: int,
        softmax_scale: float = 1.0,
        kernel_initializer: Any = "random_normal_unit",
        **kwargs: Any,
    ) -> None:
        if kernel_initializer == "random_normal_unit":
            kernel_initializer = keras.initializers.RandomNormal(stddev=1.0)
        super().__init__(num_classes, kernel_initializer=kernel_initializer, **kwargs)
        self.softmax_scale = check_positive("softmax_scale", softmax_scale)

    def proxy_logits(self, embeddings: Any, one_hot: Any, training: bool | None = None) -> Any:
        proxies = l2_normalize(ops.cast(self.kernel, "float32"), axis=-1)
        cosine = ops.matmul(l2_normalize(embeddings, axis=-1), ops.transpose(proxies))
        return -self.softmax_scale * ops.maximum(2.0 - 2.0 * cosine, 0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "softmax_scale": self.softmax_scale}
