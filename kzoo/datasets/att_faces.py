from __future__ import annotations

import os
import zipfile

import numpy as np

from kzoo.datasets.data_files import DatasetFileError, data_file


def load_att_faces(
    data_dir: str | os.PathLike | None = None, size: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Loads the AT&T (ORL) face database: 40 people, 10 grey images each.

    Args:
        data_dir: the datasets folder (default `$KZOO_DATA`).
        size: `(height, width)` to resize the images to (bilinear with antialiasing, rounded
            back to uint8), e.g. `(28, 28)` for the zoo's 28×28 models; None keeps 112×92.

    Returns:
        `(images, labels)`: uint8 images of shape `(400, 112, 92)` (or `(400, *size)`) and int64
        labels 0..39 (subject `sN` is label `N-1`), ordered s1/1..s1/10, s2/1, ...

    Reference: Samaria & Harter, "Parameterisation of a stochastic model for human
    face identification", IEEE WACV 1994.
    """
    path = data_file("att_faces", "att_faces.npz", data_dir)
    try:
        with np.load(path, allow_pickle=False) as f:
            images, labels = f["images"], f["labels"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise DatasetFileError(f"Cannot read {path}: {e}.") from e
    images = images.astype(np.uint8)
    if size is not None:
        images = _resize(images, size)
    return images, labels.astype(np.int64)


def _resize(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import keras

    if len(size) != 2 or any(not isinstance(s, int) or s < 1 for s in size):
        raise ValueError(f"`size` must be (height, width) positive ints, got {size!r}.")
    out = keras.ops.image.resize(
        images[..., None].astype("float32"),
        tuple(size),
        antialias=True,
        data_format="channels_last",
    )
    out = np.asarray(keras.ops.convert_to_numpy(out))[..., 0]
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
