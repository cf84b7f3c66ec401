import pytest

from kzoo.zoo import local_hub
from tests.hub.hub_fixtures import hub_env, hub_world  # noqa: F401 - the olah fixtures


@pytest.fixture
def fresh_hub(fresh_caches):
    """The project's hub/ served by olah, with an empty HF cache and KZOO_HOME for this test."""
    with local_hub() as server:
        yield server
