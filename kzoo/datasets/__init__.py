"""Offline dataset loaders and metric-learning samplers."""

from kzoo.datasets.att_faces import load_att_faces
from kzoo.datasets.data_files import DatasetFileError, data_dirs, data_file
from kzoo.datasets.dataset_registry import (
    UnknownDatasetError,
    get_dataset,
    register_dataset,
    registered_datasets,
)
from kzoo.datasets.fashion_mnist import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_MEAN,
    FASHION_MNIST_STD,
    load_fashion_mnist,
)
from kzoo.datasets.m_per_class_sampler import MPerClassSampler
from kzoo.datasets.mnist import MNIST_MEAN, MNIST_STD, load_mnist
from kzoo.datasets.omniglot import HELDOUT_ALPHABETS, OmniglotData, load_omniglot
from kzoo.datasets.sampled_dataset import SampledDataset
from kzoo.datasets.triplet_sampler import TripletSampler
from kzoo.datasets.trr_synthetic import trr_synthetic

__all__ = [
    "DatasetFileError",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_MEAN",
    "FASHION_MNIST_STD",
    "HELDOUT_ALPHABETS",
    "MNIST_MEAN",
    "MNIST_STD",
    "MPerClassSampler",
    "OmniglotData",
    "SampledDataset",
    "TripletSampler",
    "UnknownDatasetError",
    "data_dirs",
    "data_file",
    "get_dataset",
    "load_att_faces",
    "load_fashion_mnist",
    "load_mnist",
    "load_omniglot",
    "register_dataset",
    "registered_datasets",
    "trr_synthetic",
]
