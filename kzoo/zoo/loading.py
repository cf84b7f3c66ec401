"""`kzoo.load`, `kzoo.list_models`, `kzoo.info`."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any

from kzoo.hub.transport import HubFiles, fetch, is_official_endpoint
from kzoo.zoo.errors import ManifestError, NotPublishedError
from kzoo.zoo.manifest import Manifest
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import get_builder

ManifestLike = Manifest | str | os.PathLike | None


def get_manifest(manifest: ManifestLike = None) -> Manifest:
    return manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)


def resolve(name: str | ModelEntry, manifest: ManifestLike = None) -> ModelEntry:
    """The entry of `name` (`name` or `name.tag`); an entry is returned as is, unread manifest."""
    return name if isinstance(name, ModelEntry) else get_manifest(manifest).resolve(name)


def pinned_revision(entry: ModelEntry) -> str | None:
    """The entry's commit for the current endpoint: `hub_revision` on huggingface.co when set."""
    if entry.hub_revision and is_official_endpoint():
        return entry.hub_revision
    return entry.revision


def fetch_entry(
    entry: ModelEntry,
    revision: str | None = None,
    *,
    force_download: bool = False,
    progress: bool = True,
) -> Path:
    """Fetches and verifies the entry's files (`kzoo.hub.fetch`); returns their folder."""
    pinned = pinned_revision(entry)
    if pinned is None:
        raise NotPublishedError(
            f"{entry.key!r} has no pinned revision in the manifest yet: publish it "
            "(`kzoo publish`) or build "
            f"it with random weights (kzoo.load({entry.key!r}, pretrained=False))."
        )
    files = HubFiles(entry.repo_id, entry.files, pinned, entry.key)
    return fetch(files, revision, force_download=force_download, progress=progress)


def _check_model(model: Any, entry: ModelEntry, source: str) -> None:
    outputs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    if len(outputs) != len(entry.outputs):
        raise ManifestError(
            f"{entry.key}: the {source} model has {len(outputs)} outputs, the manifest's `outputs` "
            f"lists {entry.outputs}."
        )
    want = tuple(entry.input.shape)
    got = tuple(model.inputs[0].shape[1:])
    if got != want:
        raise ManifestError(
            f"{entry.key}: the {source} model takes inputs {got}, the manifest says {want}."
        )
    emb = outputs[entry.outputs.index("embedding")]
    if emb.shape[-1] != entry.embedding_size:
        raise ManifestError(
            f"{entry.key}: the {source} model's embedding has size {emb.shape[-1]}, "
            f"the manifest says {entry.embedding_size}."
        )


def _strip_head(model: Any, entry: ModelEntry) -> Any:
    import keras

    if len(entry.outputs) == 1:
        return model
    embedding = model.outputs[entry.outputs.index("embedding")]
    return keras.Model(model.inputs, embedding, name=f"{model.name}_embedding")


def load(
    name: str | ModelEntry,
    *,
    revision: str | None = None,
    pretrained: bool = True,
    include_head: bool = True,
    manifest: ManifestLike = None,
    force_download: bool = False,
    progress: bool = True,
) -> Any:
    """Loads a zoo model as a Keras model.

    Args:
        name: `name` (its default tag) or `name.tag`, e.g. `sphereface_resnet20.fashion_mnist`;
            or an entry already resolved (`Manifest.resolve`), which is used as is.
        revision: a branch, tag or commit of the model's repository; default the manifest's pinned
            commit, whose files are checked against the manifest's sha256 values before loading.
        pretrained: False builds the same architecture with random weights, offline, from the
            manifest's `architecture` (a registered builder and its kwargs).
        include_head: False returns the embedding model only (drops the logits output).
        manifest: a `Manifest` or a path; default `$KZOO_MANIFEST` or the repository's
            `weights_manifest.json`.
        force_download: fetch again even when the cache holds the files.
        progress: show progress bars.

    Files come through `huggingface_hub` into the standard HF cache (`HF_ENDPOINT`,
    `HF_HUB_OFFLINE`, `HF_HOME` are respected); a cached, verified copy needs no network. Loading
    uses Keras' safe mode.

    Example:
        >>> model = kzoo.load("sphereface_resnet20", include_head=False)
        >>> embeddings = model.predict(images)
    """
    import keras

    entry = resolve(name, manifest)
    if not pretrained:
        arch = entry.architecture
        model = get_builder(arch.builder)(**arch.kwargs)
        source = f"builder {arch.builder!r}"
    else:
        folder = fetch_entry(entry, revision, force_download=force_download, progress=progress)
        model = keras.saving.load_model(str(folder), compile=False, safe_mode=True)
        source = f"downloaded ({entry.repo_id}@{revision or pinned_revision(entry)})"
    _check_model(model, entry, source)
    return model if include_head else _strip_head(model, entry)


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
