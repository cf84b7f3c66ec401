import os
from pathlib import Path

import pytest

_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
if not os.environ.get("KZOO_DATA") and _SHARED.is_dir():
    os.environ["KZOO_DATA"] = str(_SHARED)


@pytest.fixture
def fresh_caches(monkeypatch, tmp_path) -> Path:
    """An empty HF cache and KZOO_HOME for this test, with the project's own manifest."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("KZOO_HOME", str(tmp_path / "kzoo"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("KZOO_MANIFEST", raising=False)
    return tmp_path
