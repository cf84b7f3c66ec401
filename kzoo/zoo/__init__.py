"""The model zoo's catalogue: the manifest, typed entries, registries, and load/list/info.

Fetching goes through `kzoo.hub`, measuring through `kzoo.evaluation`; `local_hub` and the Hub's
errors are re-exported here for convenience.
"""

from kzoo.hub.errors import (
    DownloadError,
    HashMismatchError,
    HubError,
    OfflineCacheMissError,
    PublishError,
    RemoteFileError,
    RevisionNotFoundError,
)
from kzoo.hub.olah_server import OlahServer, local_hub
from kzoo.utils.lazy_attributes import lazy_attributes
from kzoo.zoo.catalogue import get_manifest, info, list_models, resolve
from kzoo.zoo.entry_fields import (
    Architecture,
    CiEval,
    EvalSpec,
    ExportRecord,
    InputSpec,
    Paper,
    Recipe,
)
from kzoo.zoo.errors import (
    BuilderNotFoundError,
    ManifestError,
    NotPublishedError,
    UnknownModelError,
    ZooError,
)
from kzoo.zoo.manifest import Manifest
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import (
    get_builder,
    get_evaluator,
    register_builder,
    register_evaluator,
    registered_builders,
    registered_evaluators,
)

# Loaded on first use: these import Keras (and so TensorFlow), which the catalogue does not need.
__getattr__, __dir__ = lazy_attributes(
    __name__,
    {
        "get_dataset": "kzoo.datasets.dataset_registry:get_dataset",
        "register_dataset": "kzoo.datasets.dataset_registry:register_dataset",
        "registered_datasets": "kzoo.datasets.dataset_registry:registered_datasets",
        "fetch_entry": "kzoo.zoo.loading:fetch_entry",
        "load": "kzoo.zoo.loading:load",
    },
)


__all__ = [
    "Architecture",
    "BuilderNotFoundError",
    "CiEval",
    "DownloadError",
    "EvalSpec",
    "ExportRecord",
    "HashMismatchError",
    "HubError",
    "InputSpec",
    "Manifest",
    "ManifestError",
    "ModelEntry",
    "NotPublishedError",
    "OfflineCacheMissError",
    "OlahServer",
    "Paper",
    "PublishError",
    "Recipe",
    "RemoteFileError",
    "RevisionNotFoundError",
    "UnknownModelError",
    "ZooError",
    "fetch_entry",
    "get_builder",
    "get_dataset",
    "get_evaluator",
    "get_manifest",
    "info",
    "list_models",
    "load",
    "local_hub",
    "register_builder",
    "register_dataset",
    "register_evaluator",
    "registered_builders",
    "registered_datasets",
    "registered_evaluators",
    "resolve",
]
