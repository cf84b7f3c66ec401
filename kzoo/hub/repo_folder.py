"""A model's Hub repository folder: Keras' files, reproducible bytes, olah-safe, and the upload.

olah 0.5.4 quirk handled here: it reads every blob of 121..149 bytes as a possible git-lfs pointer
and decodes it as UTF-8 (`olah/mirror/repos.py`, `_get_path_info`, `get_file_head`, `get_file`), so
one non-UTF-8 file of that size makes HEAD/GET of that file *and* the tree listing of the whole
revision answer 500; `README.md` is decoded as UTF-8 at any size. Keras' files (ASCII JSON, an HDF5
file of kilobytes) never hit it; `write_repo_folder` refuses any file that would, naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kzoo.hub.bundles import PUBLISH_DATE
from kzoo.hub.errors import PublishError
from kzoo.hub.file_spec import FileSpec
from kzoo.utils.file_digest import sha256_file

MODEL_FILES = ("config.json", "metadata.json", "model.weights.h5")
OLAH_LFS_PROBE = range(121, 150)


def check_olah_safe(folder: str | os.PathLike) -> None:
    """Raises PublishError for a file olah would answer with 500 (see the module docstring)."""
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.name == "README.md" or len(data) in OLAH_LFS_PROBE:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise PublishError(
                    f"{path.relative_to(folder)} is {len(data)} bytes and not UTF-8: "
                    "olah decodes every "
                    "blob of 121..149 bytes (and README.md) as UTF-8 text and answers 500 for the "
                    "file and "
                    "for the whole revision's tree listing. Write it as UTF-8, or change its size."
                ) from None


def stable_shared_ids(config: Any) -> Any:
    """Renumbers Keras' `shared_object_id`s (Python `id()`s, different in every process) 1, 2, ...

    in order of first appearance, so the same model gives the same config.json everywhere.
    """
    mapping: dict[Any, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "shared_object_id" and v is not None:
                    out[k] = mapping.setdefault(v, len(mapping) + 1)
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(config)


def write_repo_folder(
    model: Any,
    folder: str | os.PathLike,
    card: Callable[[dict[str, FileSpec]], str],
    date: str = PUBLISH_DATE,
) -> dict[str, FileSpec]:
    """Writes config.json, metadata.json, model.weights.h5 (Keras' HF layout) and README.md.

    Args:
        model: the Keras model.
        folder: where to write (created by Keras).
        card: renders README.md from the written files' `{filename: FileSpec}`.
        date: the date recorded in metadata.json (a fixed one keeps the bytes reproducible).

    Returns:
        `{filename: FileSpec}` of the model files (README.md excluded).
    """
    import keras

    folder = Path(folder)
    model.save(str(folder), zipped=False)
    config = folder / "config.json"
    config.write_text(
        json.dumps(stable_shared_ids(json.loads(config.read_text(encoding="utf-8")))),
        encoding="utf-8",
    )
    stamp = date[:10] + "@" + date[11:19]
    (folder / "metadata.json").write_text(
        json.dumps({"keras_version": keras.__version__, "date_saved": stamp}), encoding="utf-8"
    )
    for sub in folder.iterdir():
        if sub.is_dir() and not any(sub.iterdir()):
            sub.rmdir()  # an empty assets/ folder: git does not keep empty folders anyway
    extra = sorted(p.name for p in folder.iterdir() if p.name not in MODEL_FILES)
    if extra:
        raise PublishError(
            f"Keras wrote files kzoo does not publish yet: {extra} (assets are not supported)."
        )
    files = {f: FileSpec(sha256_file(folder / f), (folder / f).stat().st_size) for f in MODEL_FILES}
    (folder / "README.md").write_text(card(files), encoding="utf-8")
    check_olah_safe(folder)
    return files


def push_to_hub(
    folder: str | os.PathLike, repo_id: str, *, tag: str | None = None, token: str | None = None
) -> str:
    """Uploads the folder with `HfApi` (create_repo, upload_folder, create_tag); returns the commit.

    Untested here (no network, no token): kept to these three calls. The Hub makes its own commit,
    so its
    sha differs from the mirror's deterministic one; the manifest keeps both (`revision` for the
    mirror, `hub_revision` used when HF_ENDPOINT is huggingface.co); the files' sha256 are the same.
    """
    import huggingface_hub

    token = token or huggingface_hub.get_token()
    if not token:
        raise PublishError("--hub needs a Hugging Face token: run `hf auth login` or set HF_TOKEN.")
    api = huggingface_hub.HfApi(token=token, library_name="kzoo")
    api.create_repo(repo_id, exist_ok=True)
    info = api.upload_folder(
        repo_id=repo_id, folder_path=str(folder), commit_message=f"Publish {repo_id}"
    )
    if tag:
        api.create_tag(repo_id, tag=tag, revision=info.oid, exist_ok=True)
    return info.oid
