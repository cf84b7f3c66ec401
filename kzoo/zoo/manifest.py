"""`weights_manifest.json`: the zoo's data, one entry per `name.tag` (timm style)."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

from kzoo.utils.atomic_write import atomic_write
from kzoo.zoo.errors import ManifestError, UnknownModelError
from kzoo.zoo.model_entry import ModelEntry

FORMAT_VERSION = 1
MANIFEST_NAME = "weights_manifest.json"


def default_manifest_path() -> Path:
    """`$KZOO_MANIFEST`, else the repository root's manifest, else the packaged copy."""
    env = os.environ.get("KZOO_MANIFEST")
    if env:
        return Path(env)
    root = Path(__file__).resolve().parents[2] / MANIFEST_NAME
    if root.is_file():
        return root
    return Path(__file__).resolve().parent / MANIFEST_NAME


class Manifest:
    """The parsed, validated manifest.

    File layout (JSON): `{"format_version": 1, "default_tags": {name: tag}, "models": {"name.tag":
    entry}}`; each entry is a `ModelEntry` (its docstring documents every field).

    Args:
        data: the decoded JSON object.
        path: where it was read from (used in messages and by `save`).

    Example:
        >>> manifest = Manifest.load()
        >>> entry = manifest.resolve("sphereface_resnet20")   # the default tag
    """

    def __init__(self, data: Any, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else None
        where = f" ({self.path})" if self.path else ""
        if not isinstance(data, dict):
            raise ManifestError(
                f"weights_manifest.json{where}: expected a JSON object at the top level."
            )
        if data.get("format_version") != FORMAT_VERSION:
            raise ManifestError(
                f"weights_manifest.json{where}: format_version must be {FORMAT_VERSION}, got "
                f"{data.get('format_version')!r}."
            )
        models = data.get("models")
        defaults = data.get("default_tags", {})
        if not isinstance(models, dict) or not isinstance(defaults, dict):
            raise ManifestError(
                f"weights_manifest.json{where}: 'models' and 'default_tags' must be objects."
            )
        self.entries = {key: ModelEntry.from_dict(key, value) for key, value in models.items()}
        names = {e.name for e in self.entries.values()}
        for name, tag in defaults.items():
            if f"{name}.{tag}" not in self.entries:
                raise ManifestError(
                    f"weights_manifest.json{where}: default_tags[{name!r}] = {tag!r}, but no "
                    f"entry {name}.{tag}."
                )
        for name in names:
            tags = [e.tag for e in self.entries.values() if e.name == name]
            if name not in defaults and len(tags) > 1:
                raise ManifestError(
                    f"weights_manifest.json{where}: {name!r} has tags {sorted(tags)}; set "
                    f"default_tags[{name!r}]."
                )
        self.default_tags = dict(defaults)
        for entry in self.entries.values():
            self.default_tags.setdefault(entry.name, entry.tag)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> Manifest:
        path = Path(path) if path is not None else default_manifest_path()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ManifestError(
                f"No manifest at {path} (set $KZOO_MANIFEST or pass manifest=...)."
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ManifestError(f"{path} is not valid JSON: {err}") from None
        return cls(data, path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "default_tags": dict(sorted(self.default_tags.items())),
            "models": {key: self.entries[key].to_dict() for key in sorted(self.entries)},
        }

    def save(self, path: str | os.PathLike | None = None) -> Path:
        path = Path(path) if path is not None else self.path
        if path is None:
            raise ValueError("`path` is required for a manifest that was not read from a file.")
        text = json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))
        return path

    def set_entry(
        self, key: str, data: dict[str, Any] | ModelEntry, default: bool = False
    ) -> ModelEntry:
        """Validates and stores an entry (a `ModelEntry` or its JSON object) under `key`."""
        entry = data if isinstance(data, ModelEntry) else ModelEntry.from_dict(key, data)
        if entry.key != key:
            raise ValueError(f"`key` {key!r} differs from the entry's key {entry.key!r}.")
        self.entries[key] = entry
        if default or entry.name not in self.default_tags:
            self.default_tags[entry.name] = entry.tag
        return entry

    def names(self) -> list[str]:
        """Every `name.tag`, sorted."""
        return sorted(self.entries)

    def resolve(self, name: str | ModelEntry) -> ModelEntry:
        """`name.tag` → its entry; a bare `name` → its default tag's entry; an entry → itself."""
        if isinstance(name, ModelEntry):
            return name
        if not isinstance(name, str):
            raise TypeError(
                "`name` must be a string like 'sphereface_resnet20' or 'name.tag', got "
                f"{type(name).__name__}."
            )
        if name in self.entries:
            return self.entries[name]
        if name in self.default_tags:
            return self.entries[f"{name}.{self.default_tags[name]}"]
        bare = {e.name for e in self.entries.values()}
        if name in bare:
            return next(e for e in self.entries.values() if e.name == name)
        candidates = sorted(bare | set(self.entries))
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        where = f" in {self.path}" if self.path else ""
        raise UnknownModelError(
            f"Unknown zoo model {name!r}{where}.{hint} `kzoo list` (or kzoo.list_models()) shows "
            "every model."
        )
