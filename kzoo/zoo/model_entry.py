"""One `name.tag` entry of `weights_manifest.json`: typed, each field documented and checked."""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from kzoo.hub.file_spec import FileSpec
from kzoo.zoo.entry_fields import (
    Architecture,
    CiEval,
    EntryFieldError,
    EvalSpec,
    ExportRecord,
    InputSpec,
    Paper,
    Recipe,
    is_int,
    is_number,
    metrics_of,
)
from kzoo.zoo.errors import ManifestError

_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_]*\.[a-z0-9][a-z0-9_]*$")
REQUIRED = (
    "repo_id",
    "revision",
    "files",
    "architecture",
    "input",
    "outputs",
    "embedding_size",
    "classes",
    "eval",
    "metrics",
    "recipe",
)
_TEXT = ("metrics_split", "metrics_command", "metrics_note", "license", "description")
_TRAILING = ("repo_id", "revision", "hub_revision", "files", "exports")


@dataclass(frozen=True)
class ModelEntry:
    """A zoo model: where its weights live (repo, pinned commit, file hashes) and what it is.

    Args:
        key: `name.tag`, e.g. `sphereface_resnet20.fashion_mnist`.
        repo_id: the Hub repository, `namespace/name`.
        revision: the pinned commit (40 hex digits) on the mirror; None before publishing.
        files: `{filename: FileSpec}`; a published entry lists `config.json` and its weights.
        architecture: how `pretrained=False` builds it (`Architecture`).
        input: the input shape and preprocessing (`InputSpec`).
        outputs: the model's output names in order, with `embedding`, and `logits` with classes.
        embedding_size: the embedding's width.
        classes: the number of classes of the logits; None for embedding-only models.
        eval: how `kzoo eval` measures `metrics` (`EvalSpec`).
        metrics: `{metric: value}` measured on the whole `eval.split`.
        recipe: how the weights were trained (`Recipe`).
        ci_eval: the slice CI re-checks (`CiEval`), None when there is none.
        exports: `{"tflite-none"|"tflite-fp16"|"tflite-int8": ExportRecord}`, recorded by
            `kzoo export KEY --record`.
        metrics_split: what `metrics` were measured on, in words (the card and README say it).
        metrics_command: the command that measured `metrics`.
        metrics_note: a remark printed under the card's metrics.
        metrics_tolerance: how far `kzoo eval --check` lets a figure move (default 0.005).
        license: the weights' licence (default apache-2.0 on the card).
        papers: the papers the model follows (`Paper`).
        tags: Hub tags of the card.
        datasets: Hub dataset ids of the card (besides `eval.dataset`).
        description: one paragraph: what the model is and how it was trained.
        parameters: the parameter count.
        hub_revision: the commit on huggingface.co, used when `HF_ENDPOINT` is huggingface.co.
        key_order: the order of the fields in the JSON it was read from, kept by `to_dict` so
            that saving the manifest changes only what changed (not compared).
    """

    key: str
    repo_id: str
    revision: str | None
    files: dict[str, FileSpec]
    architecture: Architecture
    input: InputSpec
    outputs: list[str]
    embedding_size: int
    classes: int | None
    eval: EvalSpec
    metrics: dict[str, float]
    recipe: Recipe
    ci_eval: CiEval | None = None
    exports: dict[str, ExportRecord] | None = None
    metrics_split: str | None = None
    metrics_command: str | None = None
    metrics_note: str | None = None
    metrics_tolerance: float | None = None
    license: str | None = None
    papers: list[Paper] | None = None
    tags: list[str] | None = None
    datasets: list[str] | None = None
    description: str | None = None
    parameters: int | None = None
    hub_revision: str | None = None
    key_order: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def tag(self) -> str:
        return self.key.split(".", 1)[1]

    def to_dict(self) -> dict[str, Any]:
        """The entry's JSON object, keys in the manifest's order (a load/save keeps the bytes)."""
        values = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("key", "key_order") or (value is None and f.name not in REQUIRED):
                continue
            values[f.name] = _plain(value)
        head = sorted(k for k in values if k not in _TRAILING and k not in self.key_order)
        rest = [*head, *(k for k in _TRAILING if k in values and k not in self.key_order)]
        return {k: values[k] for k in [*(k for k in self.key_order if k in values), *rest]}

    def replace(self, **changes: Any) -> ModelEntry:
        """A new, validated entry with some fields changed (JSON values or typed ones)."""
        return ModelEntry.from_dict(self.key, {**self.to_dict(), **_plain(changes)})

    @classmethod
    def unpublished(cls, key: str, data: dict[str, Any]) -> ModelEntry:
        """An entry before publishing (`repo_id` `kzoo/<key>`, no `revision` and no `files` unless
        given): what a training recipe evaluates its fresh model with."""
        return cls.from_dict(key, {"repo_id": f"kzoo/{key}", "revision": None, "files": {}, **data})

    @classmethod
    def from_dict(cls, key: str, data: Any) -> ModelEntry:
        """Validates `data` (the entry's JSON object) and returns the typed entry.

        Raises `ManifestError` naming the entry and the field on the first problem found.
        """
        if not isinstance(key, str) or not _KEY.match(key):
            raise ManifestError(
                f"weights_manifest.json: model key {key!r} must look like 'name.tag' (lowercase, "
                "digits, _)."
            )
        if not isinstance(data, dict):
            raise ManifestError(
                f"weights_manifest.json: entry {key!r} must be an object, got "
                f"{type(data).__name__}."
            )
        try:
            return cls(key, **_parse(copy.deepcopy(data)), key_order=tuple(data))
        except EntryFieldError as err:
            raise ManifestError(
                f"weights_manifest.json: entry {key!r}, field {err.field!r}: {err.problem}"
            ) from None


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return copy.deepcopy(value)


def _parse(data: dict[str, Any]) -> dict[str, Any]:
    known = [f.name for f in dataclasses.fields(ModelEntry) if f.name not in ("key", "key_order")]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise EntryFieldError(unknown[0], f"unknown field; known fields: {', '.join(known)}")
    missing = [f for f in REQUIRED if f not in data]
    if missing:
        raise EntryFieldError(missing[0], f"missing (required fields: {', '.join(REQUIRED)})")
    out: dict[str, Any] = {}
    if not isinstance(data["repo_id"], str) or not _REPO_ID.match(data["repo_id"]):
        raise EntryFieldError("repo_id", f"expected 'namespace/name', got {data['repo_id']!r}")
    out["repo_id"] = data["repo_id"]
    for name in ("revision", "hub_revision"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not _SHA1.match(value)):
            raise EntryFieldError(
                name, f"expected a 40-hex commit sha (or null before publishing), got {value!r}"
            )
        out[name] = value
    out["files"] = _files(data["files"], data["revision"])
    out["architecture"] = Architecture.from_dict(data["architecture"])
    out["input"] = InputSpec.from_dict(data["input"])
    outputs = data["outputs"]
    if (
        not isinstance(outputs, list)
        or "embedding" not in outputs
        or len(set(outputs)) != len(outputs)
    ):
        raise EntryFieldError(
            "outputs",
            f"expected a list of distinct output names including 'embedding', got {outputs!r}",
        )
    out["outputs"] = list(outputs)
    size = data["embedding_size"]
    if not is_int(size) or size <= 0:
        raise EntryFieldError("embedding_size", f"expected a positive int, got {size!r}")
    out["embedding_size"] = size
    classes = data["classes"]
    if classes is not None and (not is_int(classes) or classes <= 0):
        raise EntryFieldError("classes", f"expected a positive int or null, got {classes!r}")
    if classes is not None and "logits" not in outputs:
        raise EntryFieldError("outputs", "an entry with classes must have a 'logits' output")
    out["classes"] = classes
    out["eval"] = EvalSpec.from_dict(data["eval"])
    out["metrics"] = metrics_of("metrics", data["metrics"])
    out["recipe"] = Recipe.from_dict(data["recipe"])
    if data.get("ci_eval") is not None:
        out["ci_eval"] = CiEval.from_dict(data["ci_eval"])
    if data.get("exports") is not None:
        if not isinstance(data["exports"], dict):
            raise EntryFieldError("exports", f"expected {{name: export}}, got {data['exports']!r}")
        out["exports"] = {
            k: ExportRecord.from_dict(v, f"exports.{k}") for k, v in data["exports"].items()
        }
    for name in _TEXT:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise EntryFieldError(name, f"expected a string, got {data[name]!r}")
        out[name] = data.get(name)
    tolerance = data.get("metrics_tolerance")
    if tolerance is not None and (not is_number(tolerance) or tolerance < 0):
        raise EntryFieldError("metrics_tolerance", f"expected a number >= 0, got {tolerance!r}")
    out["metrics_tolerance"] = tolerance
    if data.get("parameters") is not None and not is_int(data["parameters"]):
        raise EntryFieldError("parameters", f"expected an int, got {data['parameters']!r}")
    out["parameters"] = data.get("parameters")
    for name in ("tags", "datasets"):
        value = data.get(name)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise EntryFieldError(name, f"expected a list of strings, got {value!r}")
        out[name] = value
    papers = data.get("papers")
    if papers is not None and not isinstance(papers, list):
        raise EntryFieldError("papers", f"expected a list of {{title, url}}, got {papers!r}")
    out["papers"] = None if papers is None else [Paper.from_dict(p) for p in papers]
    return out


def _files(files: Any, revision: str | None) -> dict[str, FileSpec]:
    if not isinstance(files, dict):
        raise EntryFieldError("files", "expected an object {filename: {sha256, size}}")
    if revision is not None and "config.json" not in files:
        raise EntryFieldError(
            "files", "a published entry must list config.json and its weights file"
        )
    out = {}
    for fname, spec in files.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("sha256"), str):
            raise EntryFieldError(
                f"files.{fname}.sha256", f"expected 64 lowercase hex, got {spec!r}"
            )
        if set(spec) != {"sha256", "size"}:
            raise EntryFieldError(f"files.{fname}", f"expected {{sha256, size}}, got {spec!r}")
        try:
            FileSpec(spec["sha256"], 0)
        except ValueError as err:
            raise EntryFieldError(f"files.{fname}.sha256", str(err)) from None
        try:
            out[fname] = FileSpec(spec["sha256"], spec["size"])
        except ValueError as err:
            raise EntryFieldError(f"files.{fname}.size", str(err)) from None
    return out
