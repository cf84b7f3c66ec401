"""`kzoo.load`, `kzoo.list_models`, `kzoo.info`."""

from __future__ import annotations

import fnmatch
import os
from typing import Any

from kzoo.zoo.errors import ManifestError
from kzoo.zoo.hub import fetch, pinned_revision
from kzoo.zoo.manifest import Manifest
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import get_builder

ManifestLike = Manifest | str | os.PathLike | None


def get_manifest(manifest: ManifestLike = None) -> Manifest:
    return manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)


def _check_model(model: Any, entry: ModelEntry, source: str) -> None:
    outputs = model.outputs if isinstance(model.outputs, list) else [model.outputs]
    if len(outputs) != len(entry.outputs):
        raise ManifestError(
            f"{entry.key}: the {source} model has {len(outputs)} outputs, the manifest's `outputs` "
            f"lists {entry.outputs}."
        )
    want = tuple(entry.input["shape"])
    got = tuple(model.inputs[0].shape[1:])
    if got != want:
        raise ManifestError(
            f"{entry.key}: the {source} model takes inputs {got}, the manifest says {want}."
        )
    emb = outputs[entry.outputs.index("embedding")]
    if emb.shape[-1] != entry.embedding_size:
        raise ManifestError(
            f"{entry.key}: the {source} model's embedding has size {emb.shape[-1]}, "
            "the manifest says "
            f"{entry.embedding_size}."
        )


def _strip_head(model: Any, entry: ModelEntry) -> Any:
    import keras

    if len(entry.outputs) == 1:
        return model
    embedding = model.outputs[entry.outputs.index("embedding")]
    return keras.Model(model.inputs, embedding, name=f"{model.name}_embedding")


def load(
    name: str,
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
        name: `name` (its default tag) or `name.tag`, e.g. `sphereface_resnet20.fashion_mnist`.
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

    entry = get_manifest(manifest).resolve(name)
    if not pretrained:
        arch = entry.architecture
        model = get_builder(arch["builder"])(**arch.get("kwargs", {}))
        source = f"builder {arch['builder']!r}"
    else:
        folder = fetch(entry, revision, force_download=force_download, progress=progress)
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
