"""Reader for the idx format of MNIST and Fashion-MNIST."""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable

import numpy as np

from kzoo.datasets.data_files import DatasetFileError, data_file

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads a (gzipped) idx file into a NumPy array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetFileError(f"Cannot decompress {path}: {e}. The file is corrupt.") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetFileError(f"{path} is not an idx file (bad magic number {raw[:4]!r}).")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DatasetFileError(
            f"{path} holds {len(raw)} bytes, its header promises {expected} (shape {shape})."
        )
    return (
        np.frombuffer(raw, dtype=dtype, offset=header)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def load_idx_dataset(
    dataset: str, data_dir: str | os.PathLike | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads the four standard idx files of `dataset` as `keras.datasets` does."""
    arrays = []
    for split in ("train", "t10k"):
        x = read_idx(data_file(dataset, f"{split}-images-idx3-ubyte.gz", data_dir))
        y = read_idx(data_file(dataset, f"{split}-labels-idx1-ubyte.gz", data_dir))
        arrays.append((x, y))
    return arrays[0], arrays[1]


def train_test_split(
    loader: Callable[..., tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]],
) -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """A registered dataset's `fn(split, data_dir=None)` from a `keras.datasets`-style loader."""

    def load_split(
        split: str, data_dir: str | os.PathLike | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        train, test = loader(data_dir)
        return train if split == "train" else test

    return load_split
