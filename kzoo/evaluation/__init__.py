"""Evaluation of zoo models: one data path and one file per registered evaluator.

Importing this package registers kzoo's evaluators (`classification`, `weighted_knn`,
`omniglot_one_shot`, `trr_synthetic`) with `kzoo.zoo.register_evaluator`.
"""

from kzoo.evaluation.classification import classification
from kzoo.evaluation.data_path import load_data, load_split, named_outputs, predict, preprocess
from kzoo.evaluation.evaluate import DEFAULT_TOLERANCE, evaluate
from kzoo.evaluation.omniglot_one_shot import omniglot_one_shot
from kzoo.evaluation.trr_synthetic import trr_synthetic
from kzoo.evaluation.weighted_knn import weighted_knn

__all__ = [
    "DEFAULT_TOLERANCE",
    "classification",
    "evaluate",
    "load_data",
    "load_split",
    "named_outputs",
    "omniglot_one_shot",
    "predict",
    "preprocess",
    "trr_synthetic",
    "weighted_knn",
]
