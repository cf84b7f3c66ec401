"""What a run trains: the inference model (the zoo architecture), the model `fit` runs (with the
augmentation and whatever the objective needs in training only), its loss and its batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
from keras import ops

from kzoo import losses as kzoo_losses
from kzoo.callbacks import MarginLambdaScheduler
from kzoo.datasets import MPerClassSampler
from kzoo.layers import NCEMemoryBank
from kzoo.ops.partial_fc import num_sampled_classes
from kzoo.training import distribution
from kzoo.training.augmentation import build_augmentation
from kzoo.training.config import TrainConfig
from kzoo.training.data import Batches, TrainingData
from kzoo.zoo.registry import get_builder

ANNEALED = ("softmax", "lsoftmax", "sphereface")  # heads with a lambda schedule
LOSS_ALIASES = {
    "triplet_semihard": "TripletSemiHardLoss",
    "triplet_hard": "TripletHardLoss",
    "triplet_batch_all": "TripletBatchAllLoss",
    "contrastive": "ContrastiveLoss",
    "margin": "MarginLoss",
}


@dataclass
class Run:
    model: keras.Model
    trainer: keras.Model
    loss: Any
    batches: keras.utils.PyDataset
    architecture: dict[str, Any]
    outputs: list[str]
    classes: int | None
    metrics: list[str] | None = None
    callbacks: list[keras.callbacks.Callback] = field(default_factory=list)
    memory_bank: Any = None
    eval_extra: dict[str, Any] = field(default_factory=dict)
    input_spec: dict[str, Any] | None = None
    report: Callable[[], dict] | None = None


def architecture(config: TrainConfig, num_classes: int | None, input_shape: list[int]) -> dict:
    """The manifest's `architecture`: the builder and only the kwargs that differ from its
    defaults' meaning (the backbone named unless it is a margin classifier's default ResNet)."""
    m = config.model
    if m.builder == "trr_mlp":
        return {"builder": "trr_mlp", "kwargs": dict(m.kwargs)}
    kwargs: dict[str, Any] = {}
    if m.builder == "margin_classifier":
        kwargs.update(num_classes=num_classes, head=m.head)
        if m.head_kwargs:
            kwargs["head_kwargs"] = dict(m.head_kwargs)
    if m.builder == "embedding_model" or m.backbone != "resnet_cifar":
        kwargs["backbone"] = m.backbone
    kwargs.update(input_shape=list(input_shape), embedding_dim=m.embedding_dim)
    if m.backbone == "resnet_cifar":
        kwargs["depth"] = m.depth
    if m.conv:
        kwargs["conv"] = dict(m.conv)
    if m.backbone_kwargs:
        kwargs["backbone_kwargs"] = dict(m.backbone_kwargs)
    kwargs.update(m.kwargs)
    return {"builder": m.builder, "kwargs": kwargs}


def build_model(config: TrainConfig, arch: dict) -> keras.Model:
    """The inference model, built by the zoo's registered builder (as `kzoo.zoo.load` does)."""
    return get_builder(arch["builder"])(**arch["kwargs"], name=config.name.split(".")[0])


def _augmented(config: TrainConfig, spec: dict, image: Any) -> Any:
    low = spec["offset"]
    aug = build_augmentation(
        config.augment, spec["shape"][:2], (low, low + 255 * spec["scale"]), config.seed
    )
    return image if aug is None else aug(image)


def metric_loss(name: str, kwargs: dict[str, Any]) -> keras.losses.Loss:
    """A kzoo loss by class name (`TripletSemiHardLoss`) or alias (`triplet_semihard`)."""
    cls_name = LOSS_ALIASES.get(name, name)
    cls = getattr(kzoo_losses, cls_name, None)
    if not isinstance(cls, type) or not issubclass(cls, keras.losses.Loss):
        known = sorted(LOSS_ALIASES) + sorted(
            n for n in kzoo_losses.__all__ if n.endswith("Loss") and n not in ("NCELoss", "TRRLoss")
        )
        raise ValueError(f"`objective.loss` must be one of {known}, got {name!r}.")
    return cls(**kwargs)


def sampled_accuracy(y_true: Any, y_pred: Any) -> Any:
    """Per sample, 1 where the target of Partial FC logits (column 0) is their arg-max."""
    return ops.cast(ops.equal(ops.argmax(y_pred, axis=-1), 0), "float32")


def head_objective(config: TrainConfig, head: Any) -> tuple[Any, list]:
    """The loss and training metrics of a margin head's training logits.

    A full head (`sample_rate` 1) gives logits over every class: sparse cross-entropy (or
    categorical, with `objective.label_smoothing`) and accuracy. Partial FC (`sample_rate`
    below 1) gives the batch's classes plus sampled ones with each row's target in column 0:
    `PartialFCLoss`, and `sampled_accuracy` (the target beats the other kept classes).
    """
    smoothing = config.objective.label_smoothing
    rate = getattr(head, "sample_rate", 1.0)
    if rate >= 1:
        if smoothing:
            loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
        else:
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        return loss, ["accuracy"]
    if smoothing:
        raise ValueError(
            "`objective.label_smoothing` needs the full head: set it to 0 or "
            f"`model.head_kwargs.sample_rate` to 1 (got sample_rate={rate})."
        )
    shards = head._class_shards()
    kept = num_sampled_classes(head.num_classes, rate, shards)
    d = config.data
    most = d.classes_per_batch if d.sampler == "pk" else config.schedule.batch_size
    per_shard = head.num_classes // shards
    most = min(most, per_shard)
    if most > kept:
        raise ValueError(
            f"`model.head_kwargs.sample_rate`={rate} keeps {kept} of the "
            f"{per_shard} classes{' per shard' if shards > 1 else ''}, but a batch "
            f"can hold {most} classes there (rows beyond the kept classes give NaN): raise "
            "sample_rate, lower `schedule.batch_size`, or use `data.sampler`='pk' with "
            f"`data.classes_per_batch` <= {kept}."
        )
    accuracy = keras.metrics.MeanMetricWrapper(sampled_accuracy, name="sampled_accuracy")
    return kzoo_losses.PartialFCLoss(), [accuracy]


def _sampler(config: TrainConfig, data: TrainingData) -> MPerClassSampler | None:
    d = config.data
    if d.sampler != "pk":
        return None
    return MPerClassSampler(
        data.y, m=d.per_class, batch_size=d.classes_per_batch * d.per_class, seed=config.seed
    )


def check_devices(config: TrainConfig, classes: int | None) -> None:
    """Under `kzoo.training.distribution.setup`: the batch splits evenly over the data-parallel
    devices, and the head's classes over the `"model"` axis (`shard_heads`)."""
    d, replicas = config.data, distribution.axis_size(distribution.BATCH_AXIS)
    size = d.classes_per_batch * d.per_class if d.sampler == "pk" else config.schedule.batch_size
    if size % replicas:
        pk = d.sampler == "pk"
        key = "`data.classes_per_batch` x `data.per_class`" if pk else "`schedule.batch_size`"
        raise ValueError(
            f"The batch of {size} must split evenly over the {replicas} data-parallel devices: "
            f"set {key} to a multiple of {replicas}."
        )
    shards = distribution.axis_size(distribution.MODEL_AXIS)
    if classes is not None and classes % shards:
        raise ValueError(
            f"`shard_heads` splits the head's {classes} classes over {shards} devices, which "
            f"must divide them: set `devices` to a divisor of {classes}, or `shard_heads` false."
        )


def build_run(config: TrainConfig, data: TrainingData) -> Run:
    """The `Run` of a "head", "metric" or "instdisc" objective on `data`."""
    kind, spec = config.objective.kind, data.input_spec
    classes = data.num_classes if config.model.builder == "margin_classifier" else None
    check_devices(config, classes)
    arch = architecture(config, classes, spec["shape"])
    model = build_model(config, arch)
    image = keras.Input(tuple(spec["shape"]), name="image")
    x = _augmented(config, spec, image)
    replicas = distribution.axis_size(distribution.BATCH_AXIS)
    batch = dict(batch_size=config.schedule.batch_size, seed=config.seed)
    batch["drop_remainder"] = replicas > 1
    sampler = _sampler(config, data)
    if kind == "head":
        if config.model.builder != "margin_classifier":
            raise ValueError("`objective.kind` 'head' needs `model.builder` 'margin_classifier'.")
        label = keras.Input((), dtype="int32", name="label")
        head = model.get_layer("head")
        logits = head([model.get_layer("backbone")(x), label])
        trainer = keras.Model({"image": image, "label": label}, logits, name=f"{model.name}_train")
        smoothing = config.objective.label_smoothing
        loss, metrics = head_objective(config, head)
        batches = Batches(
            data.x,
            data.y,
            inputs="image+label",
            sampler=sampler,
            num_classes=data.num_classes if smoothing else None,
            **batch,
        )
        annealed = config.model.head in ANNEALED and config.objective.lambda_schedule
        callbacks = [MarginLambdaScheduler()] if annealed else []
        return Run(
            model,
            trainer,
            loss,
            batches,
            arch,
            ["embedding", "logits"],
            classes,
            metrics,
            callbacks,
        )
    if kind == "metric":
        kwargs = dict(config.objective.loss_kwargs)
        loss = metric_loss(config.objective.loss or "triplet_semihard", kwargs)
        embedding = model(x)
        if getattr(loss, "learn_beta", False):
            label = keras.Input((), dtype="int32", name="label")
            beta = kzoo_losses.MarginBeta(
                beta=kwargs.get("beta", 1.2), num_classes=data.num_classes, name="beta"
            )(label)
            out = keras.layers.Concatenate(name="embedding_and_beta")([embedding, beta])
            trainer = keras.Model({"image": image, "label": label}, out, name=f"{model.name}_train")
            inputs = "image+label"
        else:
            trainer = keras.Model(image, embedding, name=f"{model.name}_train")
            inputs = "image"
        batches = Batches(data.x, data.y, inputs=inputs, sampler=sampler, **batch)
        return Run(model, trainer, loss, batches, arch, ["embedding"], None)
    if kind == "instdisc":
        kw = {"num_negatives": 4096, "temperature": 0.07, "momentum": 0.5, "mode": "nce"}
        kw.update(config.objective.loss_kwargs)
        ids = keras.Input((), dtype="int32", name="id")
        bank = NCEMemoryBank(len(data.x), seed=config.seed, name="memory_bank", **kw)
        trainer = keras.Model([image, ids], bank([model(x), ids]), name="instdisc_trainer")
        loss = (
            kzoo_losses.NCELoss(len(data.x))
            if kw["mode"] == "nce"
            else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        batches = Batches(data.x, data.y, inputs="image+id", **batch)
        return Run(model, trainer, loss, batches, arch, ["embedding"], None, memory_bank=bank)
    raise ValueError(f"`objective.kind` {kind!r} is not built by build_run.")


def num_params(model: keras.Model) -> int:
    return int(sum(np.prod(w.shape) for w in model.weights))
