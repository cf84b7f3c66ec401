"""The sha256 of a file: the one digest kzoo checks datasets and zoo files with."""

from __future__ import annotations

import hashlib
import os


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """The lowercase hex sha256 of the file at `path`, read in `chunk_size`-byte blocks.

    Example:
    ```python
    sha256_file("weights_manifest.json")  # '3f1c...'
    ```
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()
