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
    Labels `y` given as one array (as `SampledDataset` yields them: the anchors' classes) are
    the target of every output (`TRRLoss` ignores its `y_true`); a dict of targets is used as is.

    Args:
        encoder: a functional `keras.Model` (inputs -> logits); when it has several outputs,
            the one of its layer named "logits" (else its first output).
        feature_layers: names of the encoder's layers whose outputs enter the TRR loss.

    Example:
    >>> mlp = kzoo.models.build_trr_mlp(num_features=100, num_classes=10)
    >>> model = TripletFeatureModel(mlp, ["dense_0", "dense_1", "dense_2"])
    >>> model.compile("adam", loss={
    ...     "logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    ...     "trr": kzoo.losses.TRRLoss("trr_new", alpha=1.0)})
    >>> sampler = kzoo.datasets.TripletSampler(y_train, batch_size=64, seed=0)
    >>> model.fit(kzoo.datasets.SampledDataset(x_train, y_train, sampler), epochs=2)

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
        logits = encoder.get_layer("logits").output if "logits" in names else encoder.outputs[0]
        self._features = keras.Model(encoder.inputs, [*outputs, logits])

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

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        return super().compute_loss(
            x=x,
            y=_targets(y, y_pred),
            y_pred=y_pred,
            sample_weight=sample_weight,
            training=training,
        )

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        return super().compute_metrics(x, _targets(y, y_pred), y_pred, sample_weight)

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


def _targets(y: Any, y_pred: Any) -> Any:
    """One label array as the target of every output (TRRLoss ignores its y_true)."""
    if isinstance(y_pred, dict) and y is not None and not isinstance(y, dict):
        return {key: y for key in y_pred}
    return y
