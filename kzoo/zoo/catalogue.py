"""Reading the catalogue: the manifest, an entry by name, `kzoo.list_models`, `kzoo.info`.

Needs no Keras, so `kzoo list` and `kzoo info` start without TensorFlow.
"""

from __future__ import annotations

import fnmatch
import os
from typing import Any

from kzoo.zoo.manifest import Manifest
from kzoo.zoo.model_entry import ModelEntry

ManifestLike = Manifest | str | os.PathLike | None


def get_manifest(manifest: ManifestLike = None) -> Manifest:
    return manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)


def resolve(name: str | ModelEntry, manifest: ManifestLike = None) -> ModelEntry:
    """The entry of `name` (`name` or `name.tag`); an entry is returned as is, unread manifest."""
    return name if isinstance(name, ModelEntry) else get_manifest(manifest).resolve(name)


def list_models(pattern: str | None = None, *, manifest: ManifestLike = None) -> list[str]:
    """Every `name.tag` in the manifest, sorted; `pattern` filters with wildcards (`*resnet*`)."""
    names = get_manifest(manifest).names()
    return [n for n in names if fnmatch.fnmatch(n, pattern)] if pattern else names


def info(name: str, *, manifest: ManifestLike = None) -> dict[str, Any]:
    """The manifest entry of `name` (or `name.tag`) as a dict, plus name, tag, key, default."""
    m = get_manifest(manifest)
    entry = m.resolve(name)
    out = {"key": entry.key, "name": entry.name, "tag": entry.tag}
    out["default"] = m.default_tags.get(entry.name, entry.tag) == entry.tag
    out.update(entry.to_dict())
    return out
