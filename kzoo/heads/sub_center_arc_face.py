"""Sub-center ArcFace: K sub-centres per class, the closest one takes the ArcFace margin."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from kzoo.heads.arc_face import ArcFace
from kzoo.heads.proxy_head import reject_partial_fc
from kzoo.ops.l2_normalize import l2_normalize
from kzoo.utils.validation import check_int


@keras.saving.register_keras_serializable(package="kzoo")
class SubCenterArcFace(ArcFace):
    """ArcFace over K sub-centres per class: cos θ_c = max_k cos(x, w_ck).

    The kernel has PyTorch Metric Learning's layout `(embedding_dim, num_classes · K)`,
    class-major (column `c·K + k`), so it copies 1:1; the sparse cross-entropy of the training
    logits is PML's `SubCenterArcFaceLoss` with `margin` in radians here (degrees there).
    Noisy samples fall on non-dominant sub-centres: `get_outliers` finds them (PML's method of
    the same name) and returns each class's dominant sub-centre.

    Args:
        num_classes: number of classes.
        sub_centers: K ≥ 1. Default 3.
        margin: the angular margin m in radians. Default 0.5.
        scale: the scale s > 0. Default 64.
        **kwargs: `ArcFace` arguments (`easy_margin`, `learnable_scale`, initializers...).

    Example:
    >>> head = kzoo.heads.SubCenterArcFace(num_classes=1000, sub_centers=3)
    >>> logits = head([embeddings, labels])

    Reference: Deng, Guo, Liu, Gong, Zafeiriou, "Sub-center ArcFace: Boosting Face Recognition
    by Large-scale Noisy Web Faces", ECCV 2020.
    """

    def __init__(
        self,
        num_classes: int,
        sub_centers: int = 3,
        margin: float = 0.5,
        scale: float = 64.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_classes, scale=scale, margin=margin, **kwargs)
        self.sub_centers = check_int("sub_centers", sub_centers, 1)
        reject_partial_fc(self)

    def kernel_shape(self, embedding_dim: int) -> tuple[int, int]:
        return (embedding_dim, self.num_classes * self.sub_centers)

    def cosine(self, embeddings: Any, kernel: Any) -> Any:
        cosine = ops.matmul(l2_normalize(embeddings, axis=-1), l2_normalize(kernel, axis=0))
        cosine = ops.reshape(cosine, (-1, self.num_classes, self.sub_centers))
        return ops.clip(ops.max(cosine, axis=-1), -1.0, 1.0)

    def sub_center_cosines(self, embeddings: Any) -> Any:
        """cos(x, w_ck) for every sub-centre, shape `(batch, num_classes, sub_centers)`."""
        kernel = ops.cast(self.kernel, "float32")
        embeddings = l2_normalize(ops.cast(embeddings, "float32"), axis=-1)
        cosine = ops.matmul(embeddings, l2_normalize(kernel, axis=0))
        return ops.reshape(cosine, (-1, self.num_classes, self.sub_centers))

    def get_outliers(
        self,
        embeddings: Any,
        labels: Any,
        threshold: float = 75.0,
        return_dominant_centers: bool = True,
    ) -> Any:
        """Samples farther than `threshold` degrees from their class's dominant sub-centre.

        The dominant sub-centre of a class is the one most of its samples are closest to (the
        first on ties). Returns the outliers' indices (int64 array) and, with
        `return_dominant_centers`, the `(embedding_dim, num_classes)` matrix of dominant
        sub-centres (zero columns for classes absent from `labels`).
        """
        cosines = np.asarray(ops.convert_to_numpy(self.sub_center_cosines(embeddings)))
        labels = np.asarray(ops.convert_to_numpy(labels)).reshape(-1).astype(np.int64)
        kernel = np.asarray(ops.convert_to_numpy(ops.cast(self.kernel, "float32")))
        limit = math.cos(math.radians(threshold))
        outliers = []
        dominant = np.zeros((kernel.shape[0], self.num_classes), kernel.dtype)
        for label in np.unique(labels):
            rows = np.flatnonzero(labels == label)
            sims = cosines[rows, label]
            best = int(np.argmax(np.bincount(np.argmax(sims, axis=1))))
            dominant[:, label] = kernel[:, label * self.sub_centers + best]
            outliers.extend(rows[sims[:, best] < limit].tolist())
        outliers = np.asarray(sorted(outliers), dtype=np.int64)
        return (outliers, dominant) if return_dominant_centers else outliers

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "sub_centers": self.sub_centers}
