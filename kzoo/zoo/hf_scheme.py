"""`keras.saving.load_model("hf://kzoo/NAME")` through the zoo's verified fetch.

Installed on `import kzoo`: an `hf://` path whose repository is a zoo entry (its full repo id,
e.g. `kzoo/sphereface_resnet20.fashion_mnist`, or a short name `kzoo/sphereface_resnet20` that
`kzoo.load` accepts) is fetched like `kzoo.load` fetches it: the manifest's pinned revision,
every file's sha256 checked (a mismatch is quarantined and raises), `HF_ENDPOINT` /
`kzoo.zoo.local_hub()` and the bundled copies in hub/ as with `kzoo.load`. Other `hf://` paths
go to Keras unchanged.
"""

from __future__ import annotations

import os
from typing import Any

from kzoo.zoo.errors import UnknownModelError
from kzoo.zoo.loading import fetch_or_bundled
from kzoo.zoo.manifest import Manifest
from kzoo.zoo.model_entry import ModelEntry

PREFIX = "hf://"


def zoo_entry(repo: str, manifest: Manifest | None = None) -> ModelEntry | None:
    """The entry `hf://<repo>` names, or None when it is not a zoo repository."""
    manifest = manifest or Manifest.load()
    for entry in manifest.entries.values():
        if entry.repo_id == repo:
            return entry
    namespaces = {entry.repo_id.split("/")[0] for entry in manifest.entries.values()}
    namespace, _, name = repo.partition("/")
    if namespace not in namespaces or not name:
        return None
    try:
        return manifest.resolve(name)
    except UnknownModelError:
        return None


def install() -> None:
    """Routes zoo `hf://` paths of `keras.saving.load_model` through `fetch_or_bundled`."""
    from keras.src.saving import saving_lib

    if getattr(saving_lib.load_model, "kzoo_hf_scheme", False):
        return
    keras_load_model = saving_lib.load_model

    def load_model(
        filepath: Any, custom_objects: Any = None, compile: bool = True, safe_mode: bool = True
    ) -> Any:
        if isinstance(filepath, (str, os.PathLike)) and str(filepath).startswith(PREFIX):
            entry = zoo_entry(str(filepath)[len(PREFIX) :].strip("/"))
            if entry is not None:
                filepath = str(fetch_or_bundled(entry))
        return keras_load_model(filepath, custom_objects, compile, safe_mode)

    load_model.kzoo_hf_scheme = True
    load_model.__doc__ = keras_load_model.__doc__
    saving_lib.load_model = load_model
