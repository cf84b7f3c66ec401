"""Fetching a repository's pinned files through the Hugging Face Hub client, verified one by one.

Everything is read from the environment at call time, so `HF_ENDPOINT` (e.g. a local olah mirror),
`HF_HUB_OFFLINE`, `HF_HOME` / `HF_HUB_CACHE` work even when set after `huggingface_hub` is imported.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import huggingface_hub
from huggingface_hub import constants
from huggingface_hub.errors import (
    EntryNotFoundError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
)
from tqdm.auto import tqdm

from kzoo.hub.errors import (
    DownloadError,
    HashMismatchError,
    OfflineCacheMissError,
    RemoteFileError,
    RevisionNotFoundError,
)
from kzoo.hub.file_spec import FileSpec
from kzoo.utils.file_digest import sha256_file

_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_TRUE = {"1", "on", "yes", "true"}
OFFICIAL_ENDPOINT = "https://huggingface.co"


class _SilentTqdm(tqdm):
    def __init__(self, *args, **kwargs):
        kwargs["disable"] = True
        super().__init__(*args, **kwargs)


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def hub_cache_dir() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    return Path(constants.HF_HUB_CACHE)


def is_offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE")
    if value is not None:
        return value.strip().lower() in _TRUE
    return bool(constants.HF_HUB_OFFLINE)


def quarantine_dir() -> Path:
    home = os.environ.get("KZOO_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "kzoo")
    return Path(home) / "quarantine"


@dataclass(frozen=True)
class HubFiles:
    """The files to fetch from one repository, pinned.

    Args:
        repo_id: `namespace/name` on the Hub.
        files: `{filename: FileSpec}`, the sha256 and size each file must have at `pinned`.
        pinned: the commit those digests belong to.
        label: how messages name the model (e.g. the zoo key `name.tag`).
    """

    repo_id: str
    files: Mapping[str, FileSpec]
    pinned: str
    label: str


def git_blob_sha1(path: str | os.PathLike) -> str:
    """The git object id of a file (what the Hub reports as the etag of a non-LFS file)."""
    data = Path(path).read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def is_official_endpoint() -> bool:
    """Whether `HF_ENDPOINT` is huggingface.co itself (not a mirror)."""
    return hub_endpoint() == OFFICIAL_ENDPOINT


def _quarantine(path: Path, entry: HubFiles, revision: str, filename: str) -> Path:
    """Moves the cached blob behind `path` out of the HF cache and removes the snapshot link."""
    target = (
        quarantine_dir()
        / entry.repo_id.replace("/", "--")
        / revision
        / f"{filename}.{time.time_ns()}"
    )
    real = Path(os.path.realpath(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(real), target)
    except OSError as err:
        # KZOO_HOME unwritable: drop the bad file from the cache so the next call refetches it
        real.unlink(missing_ok=True)
        if path.is_symlink() or path.exists():
            path.unlink()
        raise HashMismatchError(
            f"{filename} of {entry.repo_id}@{revision} does not match the manifest, and it could "
            f"not be quarantined: KZOO_HOME ({quarantine_dir().parent}) is not writable "
            f"({err.strerror or err}). The file was deleted from the HF cache instead and nothing "
            "was loaded; set KZOO_HOME to a writable folder and call kzoo.load again."
        ) from err
    if path.is_symlink() or path.exists():
        path.unlink()
    return target


def _verify(path: Path, entry: HubFiles, revision: str, filename: str, source: str) -> None:
    spec = entry.files[filename]
    size = path.stat().st_size
    digest = sha256_file(path)
    if size == spec.size and digest == spec.sha256:
        return
    moved = _quarantine(path, entry, revision, filename)
    raise HashMismatchError(
        f"{filename} of {entry.repo_id}@{revision} ({source}) has sha256 {digest} and {size} "
        "bytes; "
        f"the manifest "
        f"entry {entry.label!r} says {spec.sha256} and {spec.size} bytes. The file was "
        "quarantined to "
        f"{moved} and nothing was loaded. Call kzoo.load({entry.label!r}) again to refetch it from "
        f"{hub_endpoint()}; if the mismatch persists, the server's copy differs from the manifest."
    )


def _verify_object_id(path: Path, entry: HubFiles, revision: str, filename: str) -> None:
    """Checks a file against its blob name in the cache: the git object id (or LFS sha256)."""
    blob_id = Path(os.path.realpath(path)).name
    if blob_id in (git_blob_sha1(path), sha256_file(path)):
        return
    moved = _quarantine(path, entry, revision, filename)
    raise HashMismatchError(
        f"{filename} of {entry.repo_id}@{revision} does not match the object id "
        f"{blob_id} the server reported; "
        f"it was quarantined to {moved}. Call kzoo.load({entry.label!r}, revision={revision!r}) "
        "again to refetch it."
    )


def _cached(entry: HubFiles, filename: str, revision: str) -> Path | None:
    try:
        path = huggingface_hub.hf_hub_download(
            entry.repo_id,
            filename,
            revision=revision,
            cache_dir=hub_cache_dir(),
            local_files_only=True,
        )
    except (LocalEntryNotFoundError, EntryNotFoundError, OfflineModeIsEnabled, FileNotFoundError):
        return None
    return Path(path)


def _diagnose(entry: HubFiles, filename: str, revision: str, err: Exception) -> Exception:
    """The error that says what is wrong with a failed request (olah answers 401/500 for a lot)."""
    # a HEAD answered 500 *with a body* poisons the kept-alive connection: start afresh
    huggingface_hub.close_session()
    endpoint = hub_endpoint()
    api = huggingface_hub.HfApi(endpoint=endpoint)
    where = f"{entry.repo_id}@{revision} on {endpoint}"
    try:
        refs = api.list_repo_refs(entry.repo_id)
    except RepositoryNotFoundError:
        return RemoteFileError(
            f"Repository {entry.repo_id} was not found on {endpoint} (entry {entry.label!r}). Is "
            "HF_ENDPOINT the "
            "server that holds the zoo (e.g. the URL `kzoo hub serve` prints)?"
        )
    except Exception as list_err:  # noqa: BLE001 - the server itself is failing
        return DownloadError(
            f"The server at {endpoint} failed while fetching {filename} of {where}: {err}; "
            f"listing its refs failed too: {list_err}"
        )
    names = {r.name: r.target_commit for r in [*refs.branches, *refs.tags]}
    if not _SHA1.match(revision) and revision not in names:
        return RevisionNotFoundError(
            f"Revision {revision!r} does not exist in {entry.repo_id} on {endpoint}; branches and "
            "tags: "
            f"{', '.join(sorted(names)) or 'none'}."
        )
    if _SHA1.match(revision) and revision not in names.values():
        known = set()
        for ref in names:
            try:
                known.update(
                    c.commit_id for c in api.list_repo_commits(entry.repo_id, revision=ref)
                )
            except Exception:  # noqa: BLE001
                continue
        if revision not in known:
            refs_text = ", ".join(f"{k}={v[:12]}" for k, v in sorted(names.items()))
            return RevisionNotFoundError(
                f"Commit {revision} does not exist in {entry.repo_id} on {endpoint} (entry "
                f"{entry.label!r}); "
                f"branches and tags: {refs_text}. Republish the "
                "model (`kzoo publish`) or point HF_ENDPOINT at the server that has this commit."
            )
    status = getattr(getattr(err, "response", None), "status_code", None)
    if isinstance(err, (RepositoryNotFoundError, EntryNotFoundError)) or status in (401, 404):
        return RemoteFileError(
            f"{filename} is missing from {where} (the server answered {status}; "
            "olah answers a missing file "
            "with 401 'Repository not found'). The repository exists; republish it with every "
            "file the manifest lists."
        )
    return DownloadError(
        f"The server failed while serving {filename} of {where} (status {status}): {err}"
    )


def _download(
    entry: HubFiles, filename: str, revision: str, force: bool, progress: bool = True
) -> tuple[Path, str | None]:
    endpoint = hub_endpoint()
    url = huggingface_hub.hf_hub_url(entry.repo_id, filename, revision=revision, endpoint=endpoint)
    try:
        meta = huggingface_hub.get_hf_file_metadata(
            url, endpoint=endpoint, retry_on_errors=False, timeout=30
        )
    except Exception as err:  # noqa: BLE001 - every failure is diagnosed below
        raise _diagnose(entry, filename, revision, err) from err
    try:
        path = huggingface_hub.hf_hub_download(
            entry.repo_id,
            filename,
            revision=revision,
            cache_dir=hub_cache_dir(),
            endpoint=endpoint,
            force_download=force,
            library_name="kzoo",
            tqdm_class=tqdm if progress else _SilentTqdm,
        )
    except Exception as err:  # noqa: BLE001
        huggingface_hub.close_session()
        raise DownloadError(
            f"Downloading {filename} of {entry.repo_id}@{revision} from {endpoint} failed: "
            f"{type(err).__name__}: "
            f"{err}. Nothing was loaded; the incomplete file stays out of the cache's snapshot "
            "and the next "
            f"kzoo.load({entry.label!r}) retries."
        ) from err
    return Path(path), meta.commit_hash


def fetch(
    entry: HubFiles,
    revision: str | None = None,
    *,
    force_download: bool = False,
    progress: bool = True,
) -> Path:
    """Fetches (or finds in the HF cache) and verifies every file of `entry`; returns their folder.

    At the pinned revision every file's sha256 and size must match `entry.files`; a file that does
    not is quarantined and `HashMismatchError` is raised. At another revision (a branch or tag that
    moved on) those digests do not apply: each file is checked against the git object id the
    server reports instead, with a warning.
    """
    pinned = entry.pinned
    revision = revision or pinned
    files = list(entry.files)
    paths: dict[str, Path] = {}
    missing = []
    for filename in files:
        # a commit's files never change: use the cache first; a branch or tag may have moved on
        cache_first = not force_download and (_SHA1.match(revision) or is_offline())
        path = _cached(entry, filename, revision) if cache_first else None
        if path is None:
            missing.append(filename)
        else:
            paths[filename] = path
    if missing and is_offline():
        raise OfflineCacheMissError(
            f"HF_HUB_OFFLINE is set and {', '.join(missing)} of {entry.repo_id}@{revision} (entry "
            f"{entry.label!r}) "
            f"are not in the cache {hub_cache_dir()}. Unset HF_HUB_OFFLINE and set HF_ENDPOINT to "
            "a server that "
            "has the zoo (`kzoo hub serve` starts a local one and prints the URL), or point "
            "HF_HOME / HF_HUB_CACHE "
            "at a cache that holds this revision."
        )
    commit = revision if _SHA1.match(revision) else None
    bar = tqdm(
        missing,
        desc=f"fetch {entry.label}",
        unit="file",
        disable=not progress or not missing,
        leave=False,
    )
    for filename in bar:
        paths[filename], commit_hash = _download(
            entry, filename, revision, force_download, progress
        )
        commit = commit or commit_hash
    commit = commit or Path(os.path.realpath(paths[files[0]])).parent.name
    check_manifest = revision == pinned or commit == pinned or paths[files[0]].parent.name == pinned
    if not check_manifest:
        warnings.warn(
            f"{entry.label}: revision {revision!r} is not the manifest's pinned commit "
            f"{pinned}; the manifest's "
            "sha256 values do not apply, files are checked against the server's git object ids "
            "only.",
            stacklevel=3,
        )
    for filename in files:
        source = "downloaded" if filename in missing else "cached"
        if check_manifest:
            _verify(paths[filename], entry, pinned, filename, source)
        else:
            _verify_object_id(paths[filename], entry, revision, filename)
    folders = {p.parent for p in paths.values()}
    if len(folders) != 1:
        raise DownloadError(
            f"{entry.label}: files of one revision landed in different folders: "
            f"{sorted(map(str, folders))}"
        )
    return folders.pop()
