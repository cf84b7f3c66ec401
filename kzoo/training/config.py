"""A training run as typed data: `TrainConfig`, read from JSON / TOML, overridable by key=value."""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import types
import typing
from dataclasses import dataclass, field
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

OBJECTIVES = ("head", "metric", "instdisc", "trr")
BUILDERS = ("margin_classifier", "embedding_model", "trr_mlp")


@dataclass
class ModelConfig:
    """The architecture: `builder` with its kwargs (the manifest's `architecture`)."""

    builder: str = "margin_classifier"
    backbone: str = "resnet_cifar"
    depth: int | None = 20
    embedding_dim: int = 128
    head: str = "softmax"
    head_kwargs: dict[str, Any] = field(default_factory=dict)
    conv: dict[str, Any] = field(default_factory=dict)
    backbone_kwargs: dict[str, Any] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class DataConfig:
    """What to train on: a registered dataset by name, or `directory` (one folder per class;
    `image_size`, `color_mode` and `validation_split` apply to folders)."""

    dataset: str = "fashion_mnist"
    directory: str = ""
    image_size: list[int] = field(default_factory=lambda: [28, 28])
    color_mode: str = "grayscale"
    validation_split: float = 0.2
    scale: float = 1 / 255
    offset: float = 0.0
    train_limit: int = 0
    sampler: str = "shuffle"
    classes_per_batch: int = 32
    per_class: int = 4
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class AugmentConfig:
    """Keras preprocessing layers applied to training batches only (sizes in pixels / degrees)."""

    shift: int = 0
    flip: str = ""
    rotation: float = 0.0
    zoom: float = 0.0
    shear: float = 0.0
    crop_scale: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    randaugment: int = 0
    randaugment_factor: float = 0.5


@dataclass
class ObjectiveConfig:
    """`head` (margin softmax), `metric` (a kzoo loss on embeddings), `instdisc`, or `trr`."""

    kind: str = "head"
    loss: str = ""
    loss_kwargs: dict[str, Any] = field(default_factory=dict)
    label_smoothing: float = 0.0
    lambda_schedule: bool = True


@dataclass
class OptimizerConfig:
    name: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 5e-4
    clipnorm: float = 0.0
    ema: bool = False
    ema_momentum: float = 0.999


@dataclass
class ScheduleConfig:
    epochs: int = 8
    batch_size: int = 128
    steps_per_epoch: int = 0
    kind: str = "cosine"
    warmup_epochs: float = 0.0
    decay_rate: float = 0.8
    decay_steps: int = 50
    start_decay_at: int = 5
    patience: int = 0


@dataclass
class EvaluateConfig:
    """The final evaluation (a registered evaluator) and the per-epoch monitor."""

    evaluator: str = "classification"
    dataset: str = ""
    split: str = "test"
    kwargs: dict[str, Any] = field(default_factory=dict)
    limit: int = 0
    ci_limit: int = 0
    monitor: str = "auto"
    monitor_limit: int = 0
    monitor_episodes: int = 200
    curve_points: int = 1


@dataclass
class EntryConfig:
    """Manifest metadata; `description` is formatted with the config as `c` (e.g. `{c.seed}`)."""

    description: str = ""
    papers: list[dict[str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    license: str = "apache-2.0"
    metrics_split: str = ""


@dataclass
class TrainConfig:
    """One training run: backbone x head or loss x dataset x schedule.

    Args:
        name: the zoo key `name.tag` the run writes (`entry.json`); `name` is the model's name.
        seed: seeds Python, NumPy and the backend (`keras.utils.set_random_seed`), the samplers
            and the augmentation layers.
        devices: accelerators to train on (data parallel, JAX: `kzoo.training.distribution`).
        shard_heads: split the head's class weights over `devices` (model parallel); the class
            count must be a multiple of `devices`.
        model, data, augment, objective, optimizer, schedule, evaluate, entry: the sections.

    Example:
    ```python
    config = load_config("training/configs/sphereface_resnet20.fashion_mnist.toml",
                         overrides=["schedule.epochs=1", "data.train_limit=512"])
    ```
    """

    name: str = "model.custom"
    seed: int = 0
    devices: int = 1
    shard_heads: bool = False
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    entry: EntryConfig = field(default_factory=EntryConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def validate(self) -> TrainConfig:
        if self.objective.kind not in OBJECTIVES:
            raise ValueError(
                f"`objective.kind` must be one of {OBJECTIVES}, got {self.objective.kind!r}."
            )
        if self.model.builder not in BUILDERS:
            raise ValueError(
                f"`model.builder` must be one of {BUILDERS}, got {self.model.builder!r}."
            )
        if self.data.sampler not in ("shuffle", "pk"):
            raise ValueError(
                f"`data.sampler` must be 'shuffle' or 'pk', got {self.data.sampler!r}."
            )
        if self.schedule.kind not in ("cosine", "constant", "step"):
            raise ValueError(
                "`schedule.kind` must be 'cosine', 'constant' or 'step', got "
                f"{self.schedule.kind!r}."
            )
        if self.optimizer.name not in ("sgd", "adam", "adamw"):
            raise ValueError(
                f"`optimizer.name` must be 'sgd', 'adam' or 'adamw', got {self.optimizer.name!r}."
            )
        for name, value in (("schedule.epochs", self.schedule.epochs), ("devices", self.devices)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive int, got {value!r}.")
        if not 0.0 <= self.objective.label_smoothing < 1.0:
            raise ValueError(
                "`objective.label_smoothing` must be in [0, 1), got "
                f"{self.objective.label_smoothing}."
            )
        if "." not in self.name:
            raise ValueError(f"`name` must look like 'name.tag', got {self.name!r}.")
        return self


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(path: str, hint: Any, value: Any) -> Any:
    """`value` checked against the field's type (ints accepted for floats)."""
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"`{path}` must be a table/object, got {value!r}.")
        return _build(hint, value, path + ".")
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        hint = next(a for a in options if a is not type(None))
        origin = typing.get_origin(hint)
    base = origin or hint
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if base is Any or (isinstance(value, base) and not (base is int and isinstance(value, bool))):
        return value
    raise TypeError(f"`{path}` must be {getattr(base, '__name__', base)}, got {value!r}.")


def _build(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    hints = _hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f"; did you mean `{prefix}{close[0]}`?" if close else ""
            raise ValueError(
                f"Unknown config key `{prefix}{key}`{hint} (known: {', '.join(names)})."
            )
        kwargs[key] = _coerce(prefix + key, hints[key], value)
    return cls(**kwargs)


def config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """A validated `TrainConfig` from nested dicts (unknown keys and wrong types raise)."""
    return _build(TrainConfig, data).validate()


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:
            return tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            return text


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """`["optimizer.lr=0.05", "augment.flip=horizontal"]` applied to the nested dict `data`.

    Values are read as JSON (then TOML), else kept as strings: `1e-3`, `true`, `[32, 32]`,
    `{"scale": 16}`.
    """
    data = json.loads(json.dumps(data))
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"An override must look like key=value, got {item!r}.")
        key, text = item.split("=", 1)
        *parents, leaf = key.strip().split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"Override {item!r}: `{part}` is not a section.")
        node[leaf] = _parse_value(text.strip())
    return data


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """The nested dict in a `.toml` or `.json` config file."""
    path = os.fspath(path)
    if path.endswith(".toml"):
        with open(path, "rb") as f:
            return tomllib.load(f)
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    raise ValueError(f"`config` must be a .toml or .json file, got {path!r}.")


def load_config(
    path: str | os.PathLike | None = None, overrides: list[str] | None = None
) -> TrainConfig:
    """The run in `path` (TOML or JSON; the defaults when None) with `overrides` applied."""
    data = read_config_file(path) if path is not None else {}
    return config_from_dict(apply_overrides(data, overrides or []))
