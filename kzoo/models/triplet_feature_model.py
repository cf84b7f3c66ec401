from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from kzoo.losses.trr_loss import trr_scores
from kzoo.ops.pairwise_distances import paired_distances


@keras.saving.register_keras_serializable(package="kzoo")
class TripletFeatureModel(keras.Model):
    """Runs an encoder on (anchor, positive, negative) inputs and exposes layer features for TRR.

    `call({"anchor", "positive", "negative"})` returns `{"logits": encoder(anchor),
    "trr": (B, L, 2)}` where `trr[:, i] = [||f_i(a) - f_i(p)||^2, ||f_i(a) - f_i(n)||^2]` for
    the outputs `f_i` of the named layers. Train it with
    `loss={"logits": ..., "trr": kzoo.losses.TRRLoss()}`; predict classes with `encoder`.

    Args:
        encoder: a functional `keras.Model` (inputs -> logits).
        feature_layers: names of the encoder's layers whose outputs enter the TRR loss.

    Example:
    >>> model = TripletFeatureModel(mlp, ["dense_0", "dense_1", "dense_2"])
    >>> model.compile("adam", loss={"logits": "sparse_categorical_crossentropy", "trr": TRRLoss()})

    Reference: the TRR seed (seed 000), Figure 1.
    """

    def __init__(self, encoder: keras.Model, feature_layers: Sequence[str], **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(encoder, keras.Model):
            raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}.")
        if isinstance(feature_layers, str) or not feature_layers:
            raise ValueError(
                f"feature_layers must be a non-empty list of layer names, got {feature_layers!r}."
            )
        names = [layer.name for layer in encoder.layers]
        missing = [n for n in feature_layers if n not in names]
        if missing:
            raise ValueError(
                f"feature_layers {missing} are not layers of the encoder (it has {names})."
            )
        self.encoder = encoder
        self.feature_layers = list(feature_layers)
        outputs = [encoder.get_layer(n).output for n in self.feature_layers]
        self._features = keras.Model(encoder.inputs, [*outputs, encoder.outputs[0]])

    def _pair_distances(self, fa: list, fp: list, fn: list) -> Any:
        cols = []
        for a, p, n in zip(fa, fp, fn, strict=True):
            a, p, n = (
                ops.reshape(ops.cast(t, "float32"), (ops.shape(t)[0], -1)) for t in (a, p, n)
            )
            cols.append(ops.stack([paired_distances(a, p), paired_distances(a, n)], axis=-1))
        return ops.stack(cols, axis=1)

    def call(self, inputs: dict, training: bool | None = None) -> dict:
        if not isinstance(inputs, dict) or not {"anchor", "positive", "negative"} <= set(inputs):
            raise ValueError("inputs must be a dict with 'anchor', 'positive' and 'negative'.")
        *fa, logits = self._features(inputs["anchor"], training=training)
        *fp, _ = self._features(inputs["positive"], training=training)
        *fn, _ = self._features(inputs["negative"], training=training)
        return {"logits": logits, "trr": self._pair_distances(fa, fp, fn)}

    def trr_scores(self, inputs: dict) -> Any:
        """Per-layer TRR score (mean `||a-n||^2 - ||a-p||^2`) on triplets, inference mode."""
        return trr_scores(self(inputs, training=False)["trr"])

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "feature_layers": self.feature_layers,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TripletFeatureModel:
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        return cls(**config)
