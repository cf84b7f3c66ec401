"""Where dataset files live, and the checks every loader runs before reading one."""

from __future__ import annotations

import os
from pathlib import Path

from kzoo.utils.file_digest import sha256_file

# Published files, pinned: (subdirectory, filename) -> sha256.
FILES: dict[tuple[str, str], str] = {
    (
        "mnist",
        "train-images-idx3-ubyte.gz",
    ): "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    (
        "mnist",
        "train-labels-idx1-ubyte.gz",
    ): "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    (
        "mnist",
        "t10k-images-idx3-ubyte.gz",
    ): "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    (
        "mnist",
        "t10k-labels-idx1-ubyte.gz",
    ): "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
    (
        "fashion_mnist",
        "train-images-idx3-ubyte.gz",
    ): "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    (
        "fashion_mnist",
        "train-labels-idx1-ubyte.gz",
    ): "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    (
        "fashion_mnist",
        "t10k-images-idx3-ubyte.gz",
    ): "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    (
        "fashion_mnist",
        "t10k-labels-idx1-ubyte.gz",
    ): "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
    (
        "att_faces",
        "att_faces.npz",
    ): "fd411e9776921a24819d4ee00b1f2b78e80ac93d70389fc11fc99f7d627b9fc8",
    (
        "omniglot",
        "images_background_small1.zip",
    ): "f38eb80f801274ac2b4dff5b24289016bfaba4a7d5bb50deebf27104ad6cb8a4",
    (
        "omniglot",
        "images_background_small2.zip",
    ): "3ccaa407515a8778e5d0861875af38b17e418f301ad5bb3b5a6b65d901a41c7f",
}

SOURCES = {
    "mnist": "http://yann.lecun.com/exdb/mnist/ (the four idx .gz files)",
    "fashion_mnist": "https://github.com/zalandoresearch/fashion-mnist (data/fashion/*.gz), "
    "or Debian's package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/)",
    "att_faces": "the AT&T (ORL) face database, packed as att_faces.npz "
    "(images (400,112,92) uint8, labels (400,) int)",
    "omniglot": "https://github.com/brendenlake/omniglot (python/images_background_small{1,2}.zip)",
}

_verified: dict[tuple[str, int, int], str] = {}


class DatasetFileError(FileNotFoundError):
    """A dataset file is missing or is not the published file."""


def data_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Directories searched for dataset files, in order.

    `data_dir` if given, else `$KZOO_DATA`, then the user cache `$KZOO_HOME/datasets`
    (default `~/.cache/kzoo/datasets`).
    """
    if data_dir is not None:
        return [Path(data_dir).expanduser()]
    dirs = []
    if os.environ.get("KZOO_DATA"):
        dirs.append(Path(os.environ["KZOO_DATA"]).expanduser())
    home = os.environ.get("KZOO_HOME", os.path.join("~", ".cache", "kzoo"))
    dirs.append(Path(home).expanduser() / "datasets")
    return dirs


def _how_to_provide(dataset: str, filename: str, dirs: list[Path]) -> str:
    return (
        f"Put {filename} from {SOURCES[dataset]} into {dirs[0] / dataset}/, "
        "or point KZOO_DATA (or the data_dir argument) at a folder that holds "
        f"{dataset}/{filename}."
    )


def data_file(dataset: str, filename: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Returns the path of a dataset file after checking its sha256.

    Raises:
        DatasetFileError: the file is in none of the searched directories, or its
            content is not the published file (wrong sha256: truncated or corrupt).
    """
    key = (dataset, filename)
    if key not in FILES:
        raise ValueError(f"Unknown dataset file {dataset}/{filename}.")
    dirs = data_dirs(data_dir)
    candidates = [d / dataset / filename for d in dirs]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        searched = ", ".join(str(p) for p in candidates)
        raise DatasetFileError(
            f"Dataset file {dataset}/{filename} not found. Looked for: {searched}. "
            + _how_to_provide(dataset, filename, dirs)
        )
    stat = found.stat()
    cache_key = (str(found.resolve()), stat.st_size, stat.st_mtime_ns)
    expected = FILES[key]
    if _verified.get(cache_key) != expected:
        actual = sha256_file(found)
        if actual != expected:
            raise DatasetFileError(
                f"Dataset file {found} is corrupt or not the published file: sha256 "
                f"{actual}, expected {expected} ({stat.st_size} bytes read). Replace it. "
                + _how_to_provide(dataset, filename, dirs)
            )
        _verified[cache_key] = expected
    return found
