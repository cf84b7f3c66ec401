"""The architectures and evaluators kzoo's own zoo entries name in `weights_manifest.json`."""

from kzoo.models.embedding_model import build_embedding_model
from kzoo.models.margin_classifier import build_margin_classifier
from kzoo.zoo.registry import register_builder

register_builder("margin_classifier", build_margin_classifier)
register_builder("embedding_model", build_embedding_model)
