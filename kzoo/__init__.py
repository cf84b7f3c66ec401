"""kzoo: a Keras 3 model zoo for discriminative embedding learning.

`import kzoo` is light, so the catalogue commands (`kzoo list`, `kzoo info`) start without
TensorFlow. The subpackages load on first use (`kzoo.heads`, `kzoo.load`), and all of them as
soon as Keras is imported: every kzoo class is then registered for deserialisation and zoo
`hf://` paths go through the zoo's verified fetch (`kzoo.zoo.hf_scheme`).
"""

import importlib

from kzoo.utils.lazy_attributes import lazy_attributes
from kzoo.utils.post_import import when_keras_imported
from kzoo.version import __version__

SUBPACKAGES = (
    "ops",
    "layers",
    "heads",
    "miners",
    "losses",
    "metrics",
    "callbacks",
    "index",
    "models",
    "datasets",
    "evaluation",
    "export",
    "hub",
    "zoo",
    "publishing",
    "testing",
)
ZOO_FUNCTIONS = ("info", "list_models", "load")

__all__ = ["__version__", *sorted(SUBPACKAGES + ZOO_FUNCTIONS)]


__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        **{name: f"kzoo.{name}" for name in SUBPACKAGES},
        **{name: f"kzoo.zoo:{name}" for name in ZOO_FUNCTIONS},
    },
)


def _activate() -> None:
    """Imports every subpackage (registering kzoo's classes) and routes zoo hf:// paths."""
    for name in SUBPACKAGES:
        importlib.import_module(f"kzoo.{name}")
    importlib.import_module("kzoo.zoo.hf_scheme").install()


when_keras_imported(_activate)
