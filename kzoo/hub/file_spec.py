"""The pinned identity of one file of a Hub repository: its sha256 and its size."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FileSpec:
    """What a fetched file must be, byte for byte.

    Args:
        sha256: 64 lowercase hex digits.
        size: the size in bytes (a non-negative int).

    Example:
    ```python
    FileSpec.from_dict({"sha256": "ab" * 32, "size": 64})
    ```
    """

    sha256: str
    size: int

    def __post_init__(self) -> None:
        if not isinstance(self.sha256, str) or not _SHA256.match(self.sha256):
            raise ValueError(f"`sha256` must be 64 lowercase hex digits, got {self.sha256!r}.")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 0:
            raise ValueError(f"`size` must be a non-negative int, got {self.size!r}.")

    @classmethod
    def from_dict(cls, data: Any) -> FileSpec:
        if not isinstance(data, dict) or set(data) != {"sha256", "size"}:
            raise ValueError(f"expected {{'sha256': str, 'size': int}}, got {data!r}.")
        return cls(data["sha256"], data["size"])

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size}
