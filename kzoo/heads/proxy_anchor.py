"""Proxy-Anchor head: cosine similarities of embeddings to one proxy per class."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from kzoo.heads.proxy_head import ProxyHead
from kzoo.ops.l2_normalize import l2_normalize


@keras.saving.register_keras_serializable(package="kzoo")
class ProxyAnchor(ProxyHead):
    """Proxy-Anchor head: returns `cos(x, p_c)` for every class proxy, shape `(batch, classes)`.

    Train it with `kzoo.losses.ProxyAnchorLoss(margin, alpha)` on `(labels, similarities)`;
    together they are PyTorch Metric Learning's `ProxyAnchorLoss(num_classes, embedding_size,
    margin, alpha)`. The proxies have PML's layout `(num_classes, embedding_dim)` and
    initialization (He normal over the classes: std `sqrt(2 / num_classes)`), so they copy 1:1.
    Labels, when given, are only checked.

    Args:
        num_classes: number of classes.
        kernel_initializer: initializer of the proxies.
        **kwargs: `MarginHead` arguments.

    Example:
    >>> head = kzoo.heads.ProxyAnchor(num_classes=100)
    >>> model.compile("adam", loss=kzoo.losses.ProxyAnchorLoss(margin=0.1, alpha=32))

    Reference: Kim, Kim, Cho, Kwak, "Proxy Anchor Loss for Deep Metric Learning", CVPR 2020.
    """

    def __init__(
        self, num_classes: int, kernel_initializer: Any = "he_normal_classes", **kwargs: Any
    ) -> None:
        if kernel_initializer == "he_normal_classes":
            kernel_initializer = keras.initializers.VarianceScaling(
                2.0, mode="fan_in", distribution="untruncated_normal"
            )
        super().__init__(num_classes, kernel_initializer=kernel_initializer, **kwargs)

    def proxy_logits(self, embeddings: Any, one_hot: Any, training: bool | None = None) -> Any:
        proxies = l2_normalize(ops.cast(self.kernel, "float32"), axis=-1)
        cosine = ops.matmul(l2_normalize(embeddings, axis=-1), ops.transpose(proxies))
        return ops.clip(cosine, -1.0, 1.0)
