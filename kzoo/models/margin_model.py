"""A classifier with a margin head whose `fit(x, y)` routes the labels into the head."""

from __future__ import annotations

import copy
from typing import Any

import keras
import numpy as np

from kzoo.heads.margin_head import MarginHead
from kzoo.layers.l2_normalization import L2Normalization
from kzoo.losses.partial_fc_loss import PartialFCLoss
from kzoo.utils.validation import check_labels_array


@keras.saving.register_keras_serializable(package="kzoo")
class MarginModel(keras.Model):
    """`image -> [embedding, logits]` over a backbone and a margin head, trained with `fit(x, y)`.

    The graph is the zoo's inference model: the embedding is the backbone's output
    L2-normalised, the logits are the head's margin-free logits. `predict`, `evaluate`,
    `kzoo.export.to_tflite` and `.keras` files use that label-free graph. In `fit` the labels
    `y` go into the head (`head([features, y])`), so the loss sees the margin logits; no label
    input, no second training model. The compiled loss applies to the logits; the compiled
    metrics see the margin-free logits (what `predict` would score on the training batch).

    How: Keras' `train_step` (on TensorFlow, JAX and torch alike) runs `self(x, training=True)`
    and then `compute_loss(x, y, y_pred)`; in training `call` returns the backbone's features
    and `compute_loss` applies the head to `[features, y]` — the one step of every backend's
    `train_step` that sees both, so no backend-specific `train_step` is needed.

    `compile()` defaults: Adam (learning rate 1e-3), `SparseCategoricalCrossentropy(
    from_logits=True)` (`kzoo.losses.PartialFCLoss` for a head with `sample_rate < 1`, whose
    training logits are the sampled classes with the target in column 0), accuracy; any of them
    can be overridden.

    Args:
        backbone: a `keras.Model` from images to raw (unnormalised) embeddings.
        head: a `kzoo.heads.MarginHead` (ArcFace, CosFace, SphereFace, ...).
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:
    >>> model = MarginModel(kzoo.models.build_backbone("conv4", input_shape=(28, 28, 1)),
    ...                     kzoo.heads.ArcFace(10, scale=16.0, margin=0.3, name="head"))
    >>> model.compile()
    >>> model.fit(x_train, y_train, epochs=5)
    >>> embeddings, logits = model.predict(x_test)

    Reference: Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition",
    CVPR 2019 (the heads); Keras' "Customizing what happens in fit()" guide (`compute_loss`).
    """

    def __init__(self, backbone: keras.Model, head: MarginHead, **kwargs: Any) -> None:
        if not isinstance(backbone, keras.Model) or not getattr(backbone, "inputs", None):
            raise TypeError(
                "`backbone` must be a built keras.Model with inputs (images -> features), "
                f"got {type(backbone).__name__}."
            )
        if not isinstance(head, MarginHead):
            raise TypeError(f"`head` must be a kzoo.heads.MarginHead, got {type(head).__name__}.")
        image = keras.Input(tuple(backbone.inputs[0].shape[1:]), name="image")
        features = backbone(image)
        embedding = L2Normalization(name="embedding")(features)
        logits = keras.layers.Identity(name="logits")(head(features))
        super().__init__(image, [embedding, logits], **kwargs)
        self.backbone = backbone
        self.head = head

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        if not training:
            return super().call(inputs, training=training, mask=mask)
        if isinstance(inputs, dict):
            (inputs,) = inputs.values()
        elif isinstance(inputs, (list, tuple)):
            (inputs,) = inputs
        features = self.backbone(inputs, training=True)
        return {"features": features, "logits": self.head(features, training=False)}

    def fit(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._check_array_labels("y", y)
        validation = kwargs.get("validation_data")
        if isinstance(validation, (list, tuple)) and len(validation) >= 2:
            self._check_array_labels("validation_data labels", validation[1])
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        self._check_array_labels("y", y)
        return super().evaluate(x, y, *args, **kwargs)

    def _check_array_labels(self, name: str, y: Any) -> None:
        # Before Keras converts them: JAX (without x64) wraps int64 ids beyond int32 silently.
        if isinstance(y, (np.ndarray, list, tuple)):
            check_labels_array(name, np.asarray(y), self.head.num_classes)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        _require_labels(y)
        if isinstance(y_pred, dict) and "features" in y_pred:
            logits = self.head([y_pred["features"], y], training=True)
        else:
            logits = self._logits(y_pred)
        return super().compute_loss(
            x=x, y=y, y_pred=logits, sample_weight=sample_weight, training=training
        )

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        _require_labels(y)
        return super().compute_metrics(x, y, self._logits(y_pred), sample_weight)

    @staticmethod
    def _logits(y_pred: Any) -> Any:
        if isinstance(y_pred, dict):
            return y_pred["logits"]
        if isinstance(y_pred, (list, tuple)):
            return y_pred[-1]
        return y_pred

    def compile(
        self,
        optimizer: Any = "auto",
        loss: Any = "auto",
        metrics: Any = "auto",
        **kwargs: Any,
    ) -> None:
        """`keras.Model.compile` with defaults for `"auto"`: Adam(1e-3), sparse CE on logits
        (Partial FC's loss for a sampled head)."""
        if optimizer == "auto":
            optimizer = keras.optimizers.Adam(1e-3)
        if loss == "auto" and self.head.sample_rate < 1:
            loss = PartialFCLoss()
        elif loss == "auto":
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        if metrics == "auto":
            metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def compile_from_config(self, config: dict[str, Any]) -> None:
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "backbone": keras.saving.serialize_keras_object(self.backbone),
            "head": keras.saving.serialize_keras_object(self.head),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> MarginModel:
        config = copy.deepcopy(config)  # deserializing consumes nested configs
        backbone = keras.saving.deserialize_keras_object(
            config.pop("backbone"), custom_objects=custom_objects
        )
        head = keras.saving.deserialize_keras_object(
            config.pop("head"), custom_objects=custom_objects
        )
        return cls(backbone, head, **config)

    @classmethod
    def from_functional(cls, model: keras.Model) -> MarginModel:
        """The `MarginModel` over the layers (and weights) of a zoo classifier saved as a plain
        functional model (`image -> [embedding, logits]` with layers "backbone" and "head")."""
        return cls(model.get_layer("backbone"), model.get_layer("head"), name=model.name)


def _require_labels(y: Any) -> None:
    if y is None:
        raise ValueError(
            "MarginModel.fit and evaluate need the labels `y`: call fit(x, y) (or pass a dataset "
            "of (x, y) batches)."
        )
