"""Errors raised by the zoo catalogue: each says what went wrong, where, and what to do next.

The Hub transport's errors (`HashMismatchError`, `DownloadError`, ...) are `kzoo.hub.HubError`s.
"""

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


class BuilderNotFoundError(ZooError, KeyError):
    """No architecture builder or evaluator is registered under this name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
