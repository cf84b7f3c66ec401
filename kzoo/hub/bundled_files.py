"""A published repository's files read straight from its bundle in hub/, verified: no server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kzoo.hub.bundles import bundle_path, default_hub_dir, unpack_bundle
from kzoo.hub.errors import DownloadError, HashMismatchError, HubError
from kzoo.hub.file_spec import FileSpec
from kzoo.utils.file_digest import sha256_file


def kzoo_home() -> Path:
    return Path(os.environ.get("KZOO_HOME") or Path.home() / ".cache" / "kzoo")


def writable_kzoo_dir(*parts: str) -> Path:
    """`$KZOO_HOME/<parts>`, created; a clear error when KZOO_HOME cannot be written."""
    path = kzoo_home().joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=path, prefix=".probe-", delete=True)
        probe.close()
    except OSError as err:
        raise HubError(
            f"KZOO_HOME ({kzoo_home()}) is not writable: {err.strerror or err}. kzoo keeps "
            "quarantined and bundled files there; set KZOO_HOME to a writable folder."
        ) from err
    return path


def hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the Hub's port 443 opens within `timeout` seconds."""
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def has_bundle(repo_id: str, hub_dir: str | os.PathLike | None = None) -> bool:
    return bundle_path(hub_dir or default_hub_dir(), repo_id).is_file()


def _blob(bare: Path, revision: str, filename: str) -> bytes:
    result = subprocess.run(
        ["git", "--git-dir", str(bare), "cat-file", "blob", f"{revision}:{filename}"],
        capture_output=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    if result.returncode != 0:
        raise DownloadError(
            f"{filename} at {revision} is not in the bundle: {result.stderr.decode().strip()}"
        )
    return result.stdout


def _spec(spec: FileSpec | Mapping[str, Any]) -> FileSpec:
    return spec if isinstance(spec, FileSpec) else FileSpec.from_dict(dict(spec))


def _matches(path: Path, spec: FileSpec) -> bool:
    return path.is_file() and path.stat().st_size == spec.size and sha256_file(path) == spec.sha256


def bundled_folder(
    repo_id: str,
    revision: str,
    files: Mapping[str, FileSpec | Mapping[str, Any]],
    *,
    hub_dir: str | os.PathLike | None = None,
) -> Path:
    """The folder of `files` (name → `FileSpec` or {"sha256", "size"}) of `repo_id` at commit
    `revision`, read from `hub/models/<repo_id>.bundle` into `$KZOO_HOME/bundled/` and checked
    against the given sha256 and sizes (a mismatch raises `HashMismatchError`, keeps nothing).
    """
    files = {name: _spec(spec) for name, spec in files.items()}
    bundle = bundle_path(hub_dir or default_hub_dir(), repo_id)
    if not bundle.is_file():
        raise DownloadError(f"No bundle of {repo_id} at {bundle}.")
    target = writable_kzoo_dir("bundled", repo_id.replace("/", "--")) / revision
    if all(_matches(target / name, spec) for name, spec in files.items()):
        return target
    with tempfile.TemporaryDirectory(prefix=".unpack-", dir=target.parent) as tmp:
        bare = unpack_bundle(bundle, Path(tmp) / "repo.git")
        staging = Path(tmp) / "files"
        staging.mkdir()
        for name, spec in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_blob(bare, revision, name))
            if not _matches(path, spec):
                raise HashMismatchError(
                    f"{name} of {repo_id}@{revision} in {bundle} has sha256 "
                    f"{sha256_file(path)} and {path.stat().st_size} bytes; the manifest says "
                    f"{spec.sha256} and {spec.size} bytes. Nothing was loaded."
                )
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    return target
