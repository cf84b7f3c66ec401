"""Publishing zoo entries: the model card rendered from an entry, and `publish` / `refresh_card`,
which write the repository through `kzoo.hub` and pin its commit in the manifest."""

from kzoo.publishing.model_card import render_card
from kzoo.publishing.publish import publish, refresh_card

__all__ = ["publish", "refresh_card", "render_card"]
