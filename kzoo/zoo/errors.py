"""Errors raised by the zoo: each says what went wrong, where, and what to do next."""

from __future__ import annotations


class ZooError(Exception):
    """Base class of every kzoo.zoo error."""


class ManifestError(ZooError, ValueError):
    """`weights_manifest.json` is malformed (names the entry and the field)."""


class UnknownModelError(ZooError, KeyError):
    """No manifest entry has this name (suggests close names)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotPublishedError(ZooError):
    """The entry has no pinned revision yet, so there are no weights to fetch."""


class HashMismatchError(ZooError):
    """A fetched or cached file does not have the manifest's sha256 (the file was quarantined)."""


class OfflineCacheMissError(ZooError):
    """Offline mode is on and the pinned files are not in the local cache."""


class RevisionNotFoundError(ZooError):
    """The requested revision (branch, tag or commit) does not exist in the repository."""


class RemoteFileError(ZooError):
    """The server does not have a file the manifest lists, or refused to serve it."""


class DownloadError(ZooError):
    """The server failed or the transfer broke off (nothing partial is kept or loaded)."""


class PublishError(ZooError):
    """Publishing a model repository failed (names the file and the reason)."""


class BuilderNotFoundError(ZooError, KeyError):
    """No architecture builder, evaluator or dataset is registered under this name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
