"""The "trr" objective: the TRR seed's MLP on `trr_synthetic`, trained on triplets with the
classification loss on the anchors plus the TRR terms of its hidden layers (seed 000, Table 1)."""

from __future__ import annotations

import keras
import numpy as np

from kzoo.datasets import SampledDataset, TripletSampler, trr_synthetic
from kzoo.datasets.trr_synthetic import fingerprint_labels, generator_parameters
from kzoo.losses import TRRLoss
from kzoo.models import TripletFeatureModel
from kzoo.training.config import TrainConfig
from kzoo.training.objectives import Run, architecture, build_model

FEATURE_LAYERS = ["dense_0", "dense_1", "dense_2"]


class TwoTargets(keras.utils.PyDataset):
    """Triplet batches with the anchors' labels given to both outputs."""

    def __init__(self, data: SampledDataset) -> None:
        super().__init__()
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int):
        x, y = self.data[index]
        return x, {"logits": y, "trr": y}

    def on_epoch_end(self) -> None:
        self.data.on_epoch_end()


def build_trr_run(config: TrainConfig) -> tuple[Run, dict]:
    """The `Run` and the validation split `{"x", "y"}` (monitored each epoch)."""
    kwargs = dict(config.data.kwargs)
    n_train, data_seed = kwargs.get("n_train", 10_000), kwargs.get("data_seed", 0)
    (x, y), (x_val, y_val) = trr_synthetic(n_train, seed=config.seed, data_seed=data_seed)
    sampler = TripletSampler(y, batch_size=config.schedule.batch_size, seed=config.seed)
    arch = architecture(config, None, [x.shape[1]])
    mlp = build_model(config, arch)
    encoder = keras.Model(mlp.input, mlp.outputs[1], name="mlp")
    trainer = TripletFeatureModel(encoder, FEATURE_LAYERS)
    loss_kwargs = {"variant": "trr", "alpha": 1.0, **config.objective.loss_kwargs}
    loss = {
        "logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "trr": TRRLoss(**loss_kwargs),
    }
    batches = TwoTargets(SampledDataset(x, y, sampler))
    trainer(batches[0][0])  # built before fit, for BackupAndRestore
    run = Run(
        mlp,
        trainer,
        loss,
        batches,
        arch,
        ["embedding", "logits"],
        int(arch["kwargs"].get("num_classes", 10)),
    )
    run.eval_extra = {
        "task": "tabular-classification",
        "dataset_kwargs": {"n_train": n_train, "seed": config.seed, "data_seed": data_seed},
        "kwargs": {
            "data_seed": data_seed,
            **generator_parameters(),
            "labels_sha256": fingerprint_labels(y_val),
        },
    }
    run.input_spec = {"shape": [x.shape[1]], "dtype": "float32", "scale": 1.0, "offset": 0.0}
    run.report = lambda: trr_report(trainer, y_val, x_val)
    return run, {"x": x_val, "y": y_val, "encoder": encoder}


def trr_report(trainer: TripletFeatureModel, y_val: np.ndarray, x_val: np.ndarray) -> dict:
    """The per-layer TRR scores on seeded validation triplets (Table 1's extra column)."""
    a, p, n = TripletSampler(y_val, batch_size=len(y_val), seed=123).batch(0)
    scores = trainer.trr_scores({"anchor": x_val[a], "positive": x_val[p], "negative": x_val[n]})
    return {"trr_scores_val": [float(s) for s in keras.ops.convert_to_numpy(scores)]}
