from __future__ import annotations

import os

import numpy as np

from kzoo.datasets.dataset_registry import register_dataset
from kzoo.datasets.idx import load_idx_dataset, train_test_split

FASHION_MNIST_MEAN = 0.2860
FASHION_MNIST_STD = 0.3530
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Loads Fashion-MNIST from local files, like `keras.datasets.fashion_mnist`.

    Files are looked up as for `load_mnist`, in a `fashion_mnist/` subfolder.
    Class names are in `kzoo.datasets.FASHION_MNIST_CLASSES`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 `(n, 28, 28)` images and uint8
        labels; 60,000 train (6,000 per class) and 10,000 test samples.

    Reference: Xiao, Rasul, Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
    Benchmarking Machine Learning Algorithms", arXiv:1708.07747, 2017.
    """
    return load_idx_dataset("fashion_mnist", data_dir)


register_dataset("fashion_mnist", train_test_split(load_fashion_mnist))
