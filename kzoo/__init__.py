"""kzoo: a Keras 3 model zoo for discriminative embedding learning."""

from kzoo import datasets, export, testing, zoo
from kzoo.version import __version__
from kzoo.zoo import info, list_models, load

__all__ = ["__version__", "datasets", "export", "info", "list_models", "load", "testing", "zoo"]
