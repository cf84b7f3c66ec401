from __future__ import annotations

import os

import numpy as np

from kzoo.datasets.dataset_registry import register_dataset
from kzoo.datasets.idx import load_idx_dataset, train_test_split

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081


def load_mnist(
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads MNIST from local files, like `keras.datasets.mnist.load_data()`.

    Files are looked up under `data_dir`, else `$KZOO_DATA`, else the user cache
    (`~/.cache/kzoo/datasets`), in a `mnist/` subfolder holding the four standard idx
    `.gz` files; each file's sha256 is checked before it is read.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shape `(n, 28, 28)`
        and uint8 labels of shape `(n,)`; 60,000 train and 10,000 test samples.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = kzoo.datasets.load_mnist()
    >>> x_train.shape
    (60000, 28, 28)
    """
    return load_idx_dataset("mnist", data_dir)


register_dataset("mnist", train_test_split(load_mnist))
