"""Errors of the Hub transport and the local mirror: what went wrong, where, what to do next."""

from __future__ import annotations


class HubError(Exception):
    """Base class of every kzoo.hub error."""


class HashMismatchError(HubError):
    """A fetched or cached file does not have the manifest's sha256 (the file was quarantined)."""


class OfflineCacheMissError(HubError):
    """Offline mode is on and the pinned files are not in the local cache."""


class RevisionNotFoundError(HubError):
    """The requested revision (branch, tag or commit) does not exist in the repository."""


class RemoteFileError(HubError):
    """The server does not have a file the manifest lists, or refused to serve it."""


class DownloadError(HubError):
    """The server failed or the transfer broke off (nothing partial is kept or loaded)."""


class PublishError(HubError):
    """Publishing a model repository failed (names the file and the reason)."""
