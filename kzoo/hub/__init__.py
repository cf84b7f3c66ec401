"""The Hugging Face Hub side: verified fetching, the local olah mirror, git bundles, publishing.

Knows nothing of the zoo's manifest: it moves files of `repo_id`s pinned by sha256 (`FileSpec`).
"""

from kzoo.hub.bundles import bundle_path, commit_folder, default_hub_dir, unpack_hub, write_bundle
from kzoo.hub.errors import (
    DownloadError,
    HashMismatchError,
    HubError,
    OfflineCacheMissError,
    PublishError,
    RemoteFileError,
    RevisionNotFoundError,
)
from kzoo.hub.file_spec import FileSpec
from kzoo.hub.olah_server import OlahServer, local_hub
from kzoo.hub.repo_folder import push_to_hub, write_repo_folder
from kzoo.hub.transport import HubFiles, fetch, hub_cache_dir, hub_endpoint, is_offline

__all__ = [
    "DownloadError",
    "FileSpec",
    "HashMismatchError",
    "HubError",
    "HubFiles",
    "OfflineCacheMissError",
    "OlahServer",
    "PublishError",
    "RemoteFileError",
    "RevisionNotFoundError",
    "bundle_path",
    "commit_folder",
    "default_hub_dir",
    "fetch",
    "hub_cache_dir",
    "hub_endpoint",
    "is_offline",
    "local_hub",
    "push_to_hub",
    "unpack_hub",
    "write_bundle",
    "write_repo_folder",
]
