"""The architectures and evaluators kzoo's own zoo entries name in `weights_manifest.json`."""

from kzoo.models.embedding_model import build_embedding_model
from kzoo.models.margin_classifier import build_margin_classifier
from kzoo.models.trr_mlp import build_trr_mlp
from kzoo.zoo.registry import register_builder

register_builder("margin_classifier", build_margin_classifier)
register_builder("embedding_model", build_embedding_model)
register_builder("trr_mlp", build_trr_mlp)
