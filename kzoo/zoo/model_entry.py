"""One `name.tag` entry of `weights_manifest.json`, validated."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from kzoo.zoo.errors import ManifestError

_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
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


@dataclass(frozen=True)
class ModelEntry:
    """A zoo model: where its weights live (repo, pinned commit, file hashes) and what it is.

    Args:
        key: `name.tag`, e.g. `sphereface_resnet20.fashion_mnist`.
        data: the entry's JSON object (see `Manifest` for the fields).
    """

    key: str
    data: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def tag(self) -> str:
        return self.key.split(".", 1)[1]

    def __getattr__(self, item: str) -> Any:
        data = self.__dict__.get("data", {})
        if item in data:
            return data[item]
        raise AttributeError(item)

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.data)

    @classmethod
    def from_dict(cls, key: str, data: Any) -> ModelEntry:
        validate_entry(key, data)
        return cls(key, copy.deepcopy(data))


def _fail(key: str, field_name: str, problem: str) -> None:
    raise ManifestError(f"weights_manifest.json: entry {key!r}, field {field_name!r}: {problem}")


def _check_type(
    key: str, data: dict, name: str, types: type | tuple, optional: bool = False
) -> None:
    value = data.get(name)
    if value is None and optional:
        return
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        _fail(key, name, f"expected {types}, got a bool")
    if not isinstance(value, types):
        _fail(
            key,
            name,
            f"expected {getattr(types, '__name__', types)}, got {type(value).__name__} {value!r}",
        )


def validate_entry(key: str, data: Any) -> None:
    """Raises `ManifestError` naming the entry and the field on the first problem found."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise ManifestError(
            f"weights_manifest.json: model key {key!r} must look like 'name.tag' (lowercase, "
            "digits, _)."
        )
    if not isinstance(data, dict):
        raise ManifestError(
            f"weights_manifest.json: entry {key!r} must be an object, got {type(data).__name__}."
        )
    missing = [f for f in REQUIRED if f not in data]
    if missing:
        _fail(key, missing[0], f"missing (required fields: {', '.join(REQUIRED)})")
    if not isinstance(data["repo_id"], str) or not _REPO_ID.match(data["repo_id"]):
        _fail(key, "repo_id", f"expected 'namespace/name', got {data['repo_id']!r}")
    revision = data["revision"]
    if revision is not None and (not isinstance(revision, str) or not _SHA1.match(revision)):
        _fail(
            key,
            "revision",
            f"expected a 40-hex commit sha (or null before publishing), got {revision!r}",
        )
    files = data["files"]
    if not isinstance(files, dict):
        _fail(key, "files", "expected an object {filename: {sha256, size}}")
    if revision is not None and "config.json" not in files:
        _fail(key, "files", "a published entry must list config.json and its weights file")
    for fname, spec in files.items():
        if (
            not isinstance(spec, dict)
            or not isinstance(spec.get("sha256"), str)
            or not _SHA256.match(spec["sha256"])
        ):
            _fail(key, f"files.{fname}.sha256", f"expected 64 lowercase hex digits, got {spec!r}")
        size = spec.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            _fail(key, f"files.{fname}.size", f"expected a non-negative int, got {size!r}")
    arch = data["architecture"]
    if not isinstance(arch, dict) or not isinstance(arch.get("builder"), str):
        _fail(key, "architecture", "expected {'builder': str, 'kwargs': {...}}")
    if not isinstance(arch.get("kwargs", {}), dict):
        _fail(key, "architecture.kwargs", "expected an object")
    spec = data["input"]
    if (
        not isinstance(spec, dict)
        or not isinstance(spec.get("shape"), list)
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in spec["shape"])
    ):
        _fail(key, "input.shape", f"expected a list of positive ints, got {spec!r}")
    outputs = data["outputs"]
    if (
        not isinstance(outputs, list)
        or "embedding" not in outputs
        or len(set(outputs)) != len(outputs)
    ):
        _fail(
            key,
            "outputs",
            f"expected a list of distinct output names including 'embedding', got {outputs!r}",
        )
    _check_type(key, data, "embedding_size", int)
    if data["embedding_size"] <= 0:
        _fail(key, "embedding_size", f"expected a positive int, got {data['embedding_size']}")
    _check_type(key, data, "classes", int, optional=True)
    if data["classes"] is not None and "logits" not in outputs:
        _fail(key, "outputs", "an entry with classes must have a 'logits' output")
    ev = data["eval"]
    if not isinstance(ev, dict) or not all(
        isinstance(ev.get(f), str) for f in ("evaluator", "dataset", "split")
    ):
        _fail(
            key,
            "eval",
            f"expected {{'evaluator': str, 'dataset': str, 'split': str, 'kwargs': {{}}}}, got "
            f"{ev!r}",
        )
    metrics = data["metrics"]
    if not isinstance(metrics, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()
    ):
        _fail(key, "metrics", f"expected {{metric: number}}, got {metrics!r}")
    _check_type(key, data, "metrics_tolerance", (int, float), optional=True)
    recipe = data["recipe"]
    if not isinstance(recipe, dict) or not isinstance(recipe.get("args", {}), dict):
        _fail(key, "recipe", "expected {'script': str, 'command': str, 'args': {...}}")
