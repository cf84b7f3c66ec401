from __future__ import annotations

import os
import zipfile

import numpy as np

from kzoo.datasets.data_files import DatasetFileError, data_file


def load_att_faces(data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Loads the AT&T (ORL) face database: 40 people, 10 grey images each.

    Returns:
        `(images, labels)`: uint8 images of shape `(400, 112, 92)` and int64 labels
        0..39 (subject `sN` is label `N-1`), ordered s1/1..s1/10, s2/1, ...

    Reference: Samaria & Harter, "Parameterisation of a stochastic model for human
    face identification", IEEE WACV 1994.
    """
    path = data_file("att_faces", "att_faces.npz", data_dir)
    try:
        with np.load(path, allow_pickle=False) as f:
            images, labels = f["images"], f["labels"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise DatasetFileError(f"Cannot read {path}: {e}.") from e
    return images.astype(np.uint8), labels.astype(np.int64)
