"""The typed parts of a manifest entry (in the manner of timm's `PretrainedCfg`), each validated.

Every class reads its JSON object with `from_dict` (raising `EntryFieldError` that names the field)
and writes it back with `to_dict`, keys in the manifest's order, so a manifest round-trips to the
same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class EntryFieldError(ValueError):
    """A field of an entry is malformed; `field` is its dotted name, e.g. `input.shape`."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field_name
        self.problem = problem


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def object_of(name: str, data: Any, known: tuple[str, ...], required: tuple[str, ...]) -> dict:
    """`data` as a dict with only `known` keys and every `required` one, else `EntryFieldError`."""
    if not isinstance(data, dict):
        raise EntryFieldError(name, f"expected an object with {', '.join(known)}, got {data!r}")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise EntryFieldError(name, f"unknown keys {unknown}; known: {', '.join(known)}")
    missing = [k for k in required if k not in data]
    if missing:
        raise EntryFieldError(name, f"missing {missing} in {data!r}")
    return data


def metrics_of(name: str, data: Any) -> dict[str, float]:
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and is_number(v) for k, v in data.items()
    ):
        raise EntryFieldError(name, f"expected {{metric: number}}, got {data!r}")
    return dict(data)


def kwargs_of(name: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise EntryFieldError(name, f"expected an object, got {data!r}")
    return dict(data)


@dataclass(frozen=True)
class Architecture:
    """How `kzoo.load(..., pretrained=False)` builds the model.

    Args:
        builder: a builder registered with `kzoo.zoo.register_builder`.
        kwargs: its keyword arguments.
    """

    builder: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> Architecture:
        data = object_of("architecture", data, ("builder", "kwargs"), ("builder",))
        if not isinstance(data["builder"], str):
            raise EntryFieldError("architecture", "expected {'builder': str, 'kwargs': {...}}")
        return cls(data["builder"], kwargs_of("architecture.kwargs", data.get("kwargs", {})))

    def to_dict(self) -> dict[str, Any]:
        return {"builder": self.builder, "kwargs": self.kwargs}


@dataclass(frozen=True)
class InputSpec:
    """The model's input and how raw data becomes it: `(x * scale + offset - mean) / std`.

    Args:
        shape: the input shape without the batch dimension (positive ints).
        dtype: the input dtype.
        scale, offset: applied to the raw values first (uint8 pixels: scale 1/255).
        mean, std: then standardisation, when given.
    """

    shape: tuple[int, ...]
    dtype: str = "float32"
    scale: float = 1 / 255
    offset: float = 0.0
    mean: float | None = None
    std: float | None = None

    @classmethod
    def from_dict(cls, data: Any) -> InputSpec:
        keys = ("dtype", "mean", "offset", "scale", "shape", "std")
        data = object_of("input", data, keys, ())
        shape = data.get("shape")
        if not isinstance(shape, list) or not all(is_int(d) and d > 0 for d in shape):
            raise EntryFieldError("input.shape", f"expected a list of positive ints, got {data!r}")
        for name in ("scale", "offset", "mean", "std"):
            if data.get(name) is not None and not is_number(data[name]):
                raise EntryFieldError(f"input.{name}", f"expected a number, got {data[name]!r}")
        if not isinstance(data.get("dtype", "float32"), str):
            raise EntryFieldError("input.dtype", f"expected a string, got {data['dtype']!r}")
        return cls(
            tuple(shape),
            data.get("dtype", "float32"),
            float(data.get("scale", 1 / 255)),
            float(data.get("offset", 0.0)),
            data.get("mean"),
            data.get("std"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dtype": self.dtype}
        if self.mean is not None:
            out["mean"] = self.mean
        out.update(offset=self.offset, scale=self.scale, shape=list(self.shape))
        if self.std is not None:
            out["std"] = self.std
        return out


@dataclass(frozen=True)
class EvalSpec:
    """How `kzoo eval` measures the entry's `metrics`.

    Args:
        evaluator: an evaluator registered with `kzoo.zoo.register_evaluator`.
        dataset: a dataset registered with `kzoo.datasets.register_dataset`.
        split: the split the metrics are measured on (the evaluator's name for it).
        kwargs: the evaluator's keyword arguments.
        dataset_kwargs: the dataset loader's keyword arguments (e.g. how synthetic data are drawn).
        task: the Hub pipeline tag of the card (default: image classification or feature
            extraction, by whether the entry has classes).
    """

    evaluator: str
    dataset: str
    split: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    dataset_kwargs: dict[str, Any] | None = None
    task: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> EvalSpec:
        keys = ("dataset", "dataset_kwargs", "evaluator", "kwargs", "split", "task")
        if not isinstance(data, dict) or not all(
            isinstance(data.get(f), str) for f in ("evaluator", "dataset", "split")
        ):
            raise EntryFieldError(
                "eval",
                "expected {'evaluator': str, 'dataset': str, 'split': str, 'kwargs': {}}, got "
                f"{data!r}",
            )
        data = object_of("eval", data, keys, ())
        dataset_kwargs = data.get("dataset_kwargs")
        if dataset_kwargs is not None:
            dataset_kwargs = kwargs_of("eval.dataset_kwargs", dataset_kwargs)
        if data.get("task") is not None and not isinstance(data["task"], str):
            raise EntryFieldError("eval.task", f"expected a string, got {data['task']!r}")
        return cls(
            data["evaluator"],
            data["dataset"],
            data["split"],
            kwargs_of("eval.kwargs", data.get("kwargs", {})),
            dataset_kwargs,
            data.get("task"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dataset": self.dataset}
        if self.dataset_kwargs is not None:
            out["dataset_kwargs"] = self.dataset_kwargs
        out.update(evaluator=self.evaluator, kwargs=self.kwargs, split=self.split)
        if self.task is not None:
            out["task"] = self.task
        return out


@dataclass(frozen=True)
class CiEval:
    """The slice CI re-checks: `kzoo eval KEY --limit LIMIT` must give `metrics` again.

    Args:
        limit: the `--limit` (samples, or episodes for `omniglot_one_shot`).
        metrics: the figures measured on that slice when the entry was recorded.
        command: the command that measured them.
    """

    limit: int
    metrics: dict[str, float]
    command: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> CiEval:
        data = object_of("ci_eval", data, ("command", "limit", "metrics"), ("limit", "metrics"))
        if not is_int(data["limit"]) or data["limit"] < 1:
            raise EntryFieldError(
                "ci_eval.limit", f"expected a positive int, got {data['limit']!r}"
            )
        return cls(
            data["limit"], metrics_of("ci_eval.metrics", data["metrics"]), data.get("command")
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"limit": self.limit, "metrics": self.metrics}
        if self.command is not None:
            out["command"] = self.command
        return out


@dataclass(frozen=True)
class Recipe:
    """How the weights were trained, as a command to rerun.

    Args:
        script: the training script, from the repository root.
        command: the full command (with `KERAS_BACKEND=...`).
        args: the parsed arguments the script recorded.
    """

    script: str | None = None
    command: str | None = None
    args: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Recipe:
        if not isinstance(data, dict) or not isinstance(data.get("args", {}), dict):
            raise EntryFieldError(
                "recipe", "expected {'script': str, 'command': str, 'args': {...}}"
            )
        data = object_of("recipe", data, ("args", "command", "script"), ())
        return cls(data.get("script"), data.get("command"), data.get("args"))

    def to_dict(self) -> dict[str, Any]:
        out = {"args": self.args, "command": self.command, "script": self.script}
        return {k: v for k, v in out.items() if v is not None}


@dataclass(frozen=True)
class Paper:
    """A paper the model follows: its title and, when it has one, a URL."""

    title: str
    url: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Paper:
        data = object_of("papers", data, ("title", "url"), ("title",))
        return cls(data["title"], data.get("url"))

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title} | ({"url": self.url} if self.url is not None else {})


@dataclass(frozen=True)
class ExportRecord:
    """One verified LiteRT export (`kzoo export KEY --quantize Q --record`), `exports["tflite-Q"]`.

    Args:
        size_bytes: the `.tflite` file's size.
        embedding_max_abs_diff: max abs difference of the embedding to Keras.
        top1_agreement: same argmax of the logits (models scored by logits) or the same
            leave-one-out nearest neighbour (others).
        num_samples: test inputs verified on.
        runtime: the interpreter, e.g. `ai-edge-litert 2.3.0`.
        passed: the verifier's verdict (None for quantized files: no fixed threshold).
        accuracy_keras, accuracy_litert: the scored accuracy under Keras and LiteRT.
        embedding_1nn_accuracy_change: LiteRT minus Keras 1-NN accuracy of the embedding.
        command: the command that recorded it.
    """

    size_bytes: int
    embedding_max_abs_diff: float
    top1_agreement: float
    num_samples: int
    runtime: str
    passed: bool | None
    accuracy_keras: float | None = None
    accuracy_litert: float | None = None
    embedding_1nn_accuracy_change: float | None = None
    command: str | None = None

    ORDER = (
        "size_bytes",
        "embedding_max_abs_diff",
        "top1_agreement",
        "accuracy_keras",
        "accuracy_litert",
        "embedding_1nn_accuracy_change",
        "num_samples",
        "runtime",
        "passed",
        "command",
    )

    @classmethod
    def from_dict(cls, data: Any, name: str = "exports") -> ExportRecord:
        required = ("size_bytes", "embedding_max_abs_diff", "top1_agreement", "num_samples")
        data = object_of(name, data, cls.ORDER, (*required, "runtime", "passed"))
        for key in required + (
            "accuracy_keras",
            "accuracy_litert",
            "embedding_1nn_accuracy_change",
        ):
            if data.get(key) is not None and not is_number(data[key]):
                raise EntryFieldError(f"{name}.{key}", f"expected a number, got {data[key]!r}")
        if data["passed"] not in (True, False, None):
            raise EntryFieldError(
                f"{name}.passed", f"expected true, false or null: {data['passed']!r}"
            )
        return cls(**{k: data.get(k) for k in cls.ORDER})

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.ORDER}
        return {k: v for k, v in out.items() if v is not None or k == "passed"}
