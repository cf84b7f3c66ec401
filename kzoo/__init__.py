"""kzoo: a Keras 3 model zoo for discriminative embedding learning."""

from kzoo import datasets, testing
from kzoo.version import __version__

__all__ = ["__version__", "datasets", "testing"]
