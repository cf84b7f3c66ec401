"""kzoo: a Keras 3 model zoo for discriminative embedding learning."""

from kzoo import (
    callbacks,
    datasets,
    evaluation,
    export,
    heads,
    hub,
    index,
    layers,
    losses,
    metrics,
    miners,
    models,
    ops,
    publishing,
    testing,
    zoo,
)
from kzoo.version import __version__
from kzoo.zoo import info, list_models, load

__all__ = [
    "__version__",
    "callbacks",
    "datasets",
    "evaluation",
    "export",
    "heads",
    "hub",
    "index",
    "info",
    "layers",
    "list_models",
    "load",
    "losses",
    "metrics",
    "miners",
    "models",
    "ops",
    "publishing",
    "testing",
    "zoo",
]
