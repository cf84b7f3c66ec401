"""The model zoo: manifest, registries, fetching through the HF Hub, publishing, evaluation."""

from kzoo.zoo import builders as builders
from kzoo.zoo import hf_scheme as hf_scheme
from kzoo.zoo import knn_evaluation as knn_evaluation
from kzoo.zoo import omniglot_evaluation as omniglot_evaluation
from kzoo.zoo import trr_evaluation as trr_evaluation
from kzoo.zoo.errors import (
    BuilderNotFoundError,
    DownloadError,
    HashMismatchError,
    ManifestError,
    NotPublishedError,
    OfflineCacheMissError,
    PublishError,
    RemoteFileError,
    RevisionNotFoundError,
    UnknownModelError,
    ZooError,
)
from kzoo.zoo.evaluation import evaluate, load_data
from kzoo.zoo.hub import fetch
from kzoo.zoo.loading import get_manifest, info, list_models, load
from kzoo.zoo.manifest import Manifest
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.olah_server import OlahServer, local_hub
from kzoo.zoo.registry import (
    get_builder,
    get_dataset,
    get_evaluator,
    register_builder,
    register_dataset,
    register_evaluator,
    registered_builders,
    registered_datasets,
    registered_evaluators,
)

hf_scheme.install()

__all__ = [
    "BuilderNotFoundError",
    "DownloadError",
    "HashMismatchError",
    "Manifest",
    "ManifestError",
    "ModelEntry",
    "NotPublishedError",
    "OlahServer",
    "OfflineCacheMissError",
    "PublishError",
    "RemoteFileError",
    "RevisionNotFoundError",
    "UnknownModelError",
    "ZooError",
    "evaluate",
    "fetch",
    "get_builder",
    "get_dataset",
    "get_evaluator",
    "get_manifest",
    "info",
    "list_models",
    "load",
    "load_data",
    "local_hub",
    "register_builder",
    "register_dataset",
    "register_evaluator",
    "registered_builders",
    "registered_datasets",
    "registered_evaluators",
]
