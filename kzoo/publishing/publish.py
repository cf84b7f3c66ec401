"""Publishing a trained model as a zoo entry: its Hub repository, model card and pinned commit.

The repository is written and committed by `kzoo.hub` (Keras' files, a deterministic commit into
the project's git bundle); this module renders the card from the entry and pins the commit in
`weights_manifest.json`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from kzoo.hub.bundles import (
    PUBLISH_DATE,
    bundle_path,
    commit_folder,
    default_hub_dir,
    git,
    unpack_bundle,
    write_bundle,
)
from kzoo.hub.errors import PublishError
from kzoo.hub.file_spec import FileSpec
from kzoo.hub.repo_folder import check_olah_safe, push_to_hub, write_repo_folder
from kzoo.publishing.model_card import render_card
from kzoo.utils.file_digest import sha256_file
from kzoo.zoo.manifest import Manifest
from kzoo.zoo.model_entry import ModelEntry


def publish(
    model: Any,
    key: str,
    entry: dict[str, Any] | None = None,
    *,
    manifest: Manifest | str | None = None,
    hub_dir: str | os.PathLike | None = None,
    tag: str | None = None,
    default: bool = False,
    date: str = PUBLISH_DATE,
    out_dir: str | os.PathLike | None = None,
    hub: bool = False,
    token: str | None = None,
) -> ModelEntry:
    """Publishes `model` as the zoo entry `key` and pins the commit in the manifest.

    Args:
        model: the trained Keras model (its outputs in the order of the entry's `outputs`).
        key: `name.tag`.
        entry: manifest fields (architecture, input, outputs, metrics, recipe, ...); merged over the
            manifest's existing entry. `repo_id` defaults to `kzoo/<key>`.
        manifest: the manifest to update (default: the project's).
        hub_dir: where the bundles live (default: the project's `hub/`).
        tag: a git tag to point at the commit (e.g. `v1`).
        default: make this tag the name's default.
        date: the fixed author/committer date.
        out_dir: keep a copy of the repository folder there.
        hub: also upload to the Hugging Face Hub (needs a token and network; see `push_to_hub`).
        token: the Hub token (default: the logged-in one).

    Example:
        >>> publish(model, "sphereface_resnet20.fashion_mnist", tag="v1")
    """
    manifest = manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)
    hub_dir = Path(hub_dir) if hub_dir is not None else default_hub_dir()
    data = manifest.entries[key].to_dict() if key in manifest.entries else {}
    data.update(entry or {})
    data.setdefault("repo_id", f"kzoo/{key}")
    data["revision"] = None

    def card(files: dict[str, FileSpec]) -> str:
        data["files"] = {name: spec.to_dict() for name, spec in files.items()}
        return render_card(ModelEntry.from_dict(key, data))  # validates before any commit

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "repo"
        write_repo_folder(model, folder, card, date)
        bare = Path(tmp) / "bare"
        bundle = bundle_path(hub_dir, data["repo_id"])
        if bundle.exists():
            unpack_bundle(bundle, bare)
        sha = commit_folder(bare, folder, f"Publish {key}", tag=tag, date=date)
        write_bundle(bare, bundle)
        if out_dir is not None:
            shutil.copytree(folder, out_dir, dirs_exist_ok=True)
        data["revision"] = sha
        if hub:
            data["hub_revision"] = push_to_hub(folder, data["repo_id"], tag=tag, token=token)
    result = manifest.set_entry(key, data, default=default)
    manifest.save()
    return result


def refresh_card(
    key: str,
    *,
    manifest: Manifest | str | None = None,
    hub_dir: str | os.PathLike | None = None,
    tag: str | None = None,
    date: str = PUBLISH_DATE,
) -> ModelEntry:
    """Re-renders a published entry's README.md from the manifest (e.g. after `kzoo eval --record`
    or `kzoo export --record`) and commits it on top of the pinned commit; the model files are
    kept and checked against the manifest's sha256 first. Pins the new commit.
    """
    manifest = manifest if isinstance(manifest, Manifest) else Manifest.load(manifest)
    hub_dir = Path(hub_dir) if hub_dir is not None else default_hub_dir()
    entry = manifest.resolve(key)
    bundle = bundle_path(hub_dir, entry.repo_id)
    if not entry.revision or not bundle.exists():
        raise PublishError(f"{entry.key} is not published yet (no revision or no {bundle}).")
    with tempfile.TemporaryDirectory() as tmp:
        bare, folder = Path(tmp) / "bare", Path(tmp) / "repo"
        unpack_bundle(bundle, bare)
        main = git("--git-dir", str(bare), "rev-parse", "refs/heads/main")
        if main != entry.revision:
            raise PublishError(
                f"{entry.key}: the manifest pins {entry.revision} but the bundle's main is "
                f"{main}; publish the model again instead."
            )
        folder.mkdir()
        git("--git-dir", str(bare), "--work-tree", str(folder), "checkout", "-f", main, "--", ".")
        for name, spec in entry.files.items():
            if sha256_file(folder / name) != spec.sha256:
                raise PublishError(
                    f"{entry.key}: {name} in the bundle does not match the manifest."
                )
        (folder / "README.md").write_text(render_card(entry), encoding="utf-8")
        check_olah_safe(folder)
        revision = commit_folder(
            bare, folder, f"Update the model card of {entry.key}", tag=tag, date=date
        )
        write_bundle(bare, bundle)
    result = manifest.set_entry(entry.key, entry.replace(revision=revision))
    manifest.save()
    return result
