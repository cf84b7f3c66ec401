import pytest

from kzoo.zoo import local_hub
from tests.hub.hub_fixtures import hub_env, hub_world  # noqa: F401 - the olah fixtures


@pytest.fixture
def fresh_hub(monkeypatch, tmp_path):
    """The project's hub/ served by olah, with an empty HF cache and KZOO_HOME for this test."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("KZOO_HOME", str(tmp_path / "kzoo"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("KZOO_MANIFEST", raising=False)
    with local_hub() as server:
        yield server
