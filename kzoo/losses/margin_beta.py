from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kzoo")
class MarginBeta(keras.layers.Layer):
    """The learnable margin boundary β of Wu et al.: β(i) = β0 + β_class(c(i)) + β_img(i).

    Outputs `(B, 1)` per-sample β to concatenate to the embeddings for
    `MarginLoss(learn_beta=True)`. The global term is always present; the per-class term
    needs `num_classes` and class labels, the per-image one `num_images` and sample indices.

    Args:
        beta: initial β0. Default 1.2.
        num_classes: size of the per-class table (None: no per-class term).
        num_images: size of the per-image table (None: no per-image term).

    Example:
    >>> beta = kzoo.losses.MarginBeta(num_classes=10)(labels_input)
    >>> outputs = keras.layers.Concatenate()([embeddings, beta])

    Reference: Wu et al., "Sampling Matters in Deep Embedding Learning", ICCV 2017, Eq. (4).
    """

    def __init__(
        self,
        beta: float = 1.2,
        num_classes: int | None = None,
        num_images: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)):
            raise TypeError(f"beta must be a number, got {type(beta).__name__}.")
        for name, value in (("num_classes", num_classes), ("num_images", num_images)):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 1
            ):
                raise ValueError(f"{name} must be None or a positive int, got {value!r}.")
        self.beta = float(beta)
        self.num_classes = num_classes
        self.num_images = num_images

    def build(self, input_shape: Any) -> None:
        self.beta_global = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.beta), name="beta_global"
        )
        self.beta_class = None
        self.beta_image = None
        if self.num_classes:
            self.beta_class = self.add_weight(
                shape=(self.num_classes,), initializer="zeros", name="beta_class"
            )
        if self.num_images:
            self.beta_image = self.add_weight(
                shape=(self.num_images,), initializer="zeros", name="beta_image"
            )

    def call(self, class_ids: Any, image_ids: Any = None) -> Any:
        ids = ops.reshape(ops.cast(class_ids, "int32"), (-1,))
        beta = ops.zeros(ops.shape(ids), dtype=self.compute_dtype) + ops.cast(
            self.beta_global, self.compute_dtype
        )
        if self.beta_class is not None:
            beta = beta + ops.cast(ops.take(self.beta_class, ids), self.compute_dtype)
        if self.beta_image is not None:
            if image_ids is None:
                raise ValueError("image_ids is required when num_images is set.")
            img = ops.reshape(ops.cast(image_ids, "int32"), (-1,))
            beta = beta + ops.cast(ops.take(self.beta_image, img), self.compute_dtype)
        return ops.expand_dims(beta, -1)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (input_shape[0], 1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta": self.beta,
            "num_classes": self.num_classes,
            "num_images": self.num_images,
        }
