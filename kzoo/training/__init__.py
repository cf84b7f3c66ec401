"""The training engine: a run is a `TrainConfig` (backbone x head or loss x dataset x schedule).

kzoo train training/configs/sphereface_resnet20.fashion_mnist.toml --out runs/sphereface
"""

from kzoo.training.augmentation import build_augmentation
from kzoo.training.config import (
    AugmentConfig,
    DataConfig,
    EntryConfig,
    EvaluateConfig,
    ModelConfig,
    ObjectiveConfig,
    OptimizerConfig,
    ScheduleConfig,
    TrainConfig,
    apply_overrides,
    config_from_dict,
    load_config,
)
from kzoo.training.data import Batches, TrainingData, load_image_folder, load_training_data
from kzoo.training.engine import TrainingDiverged, train
from kzoo.training.objectives import Run, architecture, build_run
from kzoo.training.optimization import StepDecay, build_optimizer, learning_rate

__all__ = [
    "AugmentConfig",
    "Batches",
    "DataConfig",
    "EntryConfig",
    "EvaluateConfig",
    "ModelConfig",
    "ObjectiveConfig",
    "OptimizerConfig",
    "Run",
    "ScheduleConfig",
    "StepDecay",
    "TrainConfig",
    "TrainingData",
    "TrainingDiverged",
    "apply_overrides",
    "architecture",
    "build_augmentation",
    "build_optimizer",
    "build_run",
    "config_from_dict",
    "learning_rate",
    "load_config",
    "load_image_folder",
    "load_training_data",
    "train",
]
