"""Each failure is a clear error, loses nothing, and never yields a partial model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import huggingface_hub
import numpy as np
import pytest

import kzoo.zoo as zoo
from kzoo.hub.transport import hub_cache_dir
from tests.hub.hub_fixtures import QUIRK_REPO, FaultProxy
from tests.hub.tiny_zoo import TINY_KEY, tiny_entry

X = np.random.default_rng(1).random((2, 28, 28, 1)).astype("float32")


def snapshot_dir(world, sha=None) -> Path:
    return (
        hub_cache_dir() / "models--kzoo-test--tiny_net.v1" / "snapshots" / (sha or world.shas["v2"])
    )


def test_unknown_name_suggests_close_names(hub_env):
    with pytest.raises(zoo.UnknownModelError, match=r"Did you mean 'tiny_net'") as info:
        zoo.load("tiny_nett")
    assert "kzoo list" in str(info.value)
    with pytest.raises(zoo.UnknownModelError, match="tiny_net.v1"):
        zoo.info("tiny_net.v2")
    with pytest.raises(TypeError, match="`name`"):
        zoo.load(3)


def test_hash_mismatch_quarantines_and_refetch_works(hub_env):
    zoo.load(TINY_KEY, progress=False)
    cached = snapshot_dir(hub_env) / "model.weights.h5"
    blob = Path(os.path.realpath(cached))
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(zoo.HashMismatchError, match="quarantined") as info:
        zoo.load(TINY_KEY, progress=False)
    message = str(info.value)
    assert "cached" in message and "again to refetch" in message
    assert not cached.exists() and not blob.exists()
    quarantined = list((Path(os.environ["KZOO_HOME"]) / "quarantine").rglob("model.weights.h5.*"))
    assert len(quarantined) == 1 and quarantined[0].read_bytes() == bytes(data)
    model = zoo.load(TINY_KEY, progress=False)  # the offered refetch
    np.testing.assert_allclose(
        np.asarray(model(X)[1]), np.asarray(hub_env.models["v2"](X)[1]), atol=1e-6
    )


def test_offline_with_empty_cache_says_what_to_set(hub_env, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(zoo.OfflineCacheMissError) as info:
        zoo.load(TINY_KEY, progress=False)
    message = str(info.value)
    for needle in (
        "HF_HUB_OFFLINE",
        "HF_ENDPOINT",
        "kzoo hub serve",
        "HF_HOME",
        "model.weights.h5",
    ):
        assert needle in message


@pytest.mark.parametrize("revision", ["no-such-branch", "deadbeef" * 5])
def test_nonexistent_revision(hub_env, revision):
    with pytest.raises(zoo.RevisionNotFoundError, match="does not exist") as info:
        zoo.load(TINY_KEY, revision=revision, progress=False)
    assert "v1" in str(info.value) and "main" in str(info.value)


def test_pinned_commit_missing_on_server(hub_env, tmp_path, monkeypatch):
    manifest = json.loads(Path(hub_env.manifest).read_text())
    manifest["models"][TINY_KEY]["revision"] = "0123456789abcdef" * 2 + "01234567"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest))
    with pytest.raises(zoo.RevisionNotFoundError, match="kzoo publish"):
        zoo.load(TINY_KEY, manifest=str(path), progress=False)


def test_missing_file_on_server_is_named(hub_env, tmp_path):
    manifest = json.loads(Path(hub_env.manifest).read_text())
    manifest["models"][TINY_KEY]["files"]["extra.json"] = {"sha256": "0" * 64, "size": 2}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest))
    with pytest.raises(zoo.RemoteFileError, match=r"extra.json is missing .*401"):
        zoo.load(TINY_KEY, manifest=str(path), progress=False)


def test_unpublished_entry(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps(
            {
                "format_version": 1,
                "default_tags": {},
                "models": {TINY_KEY: {**tiny_entry(), "revision": None, "files": {}}},
            }
        )
    )
    with pytest.raises(zoo.NotPublishedError, match="pretrained=False"):
        zoo.load(TINY_KEY, manifest=str(path))
    assert zoo.load(TINY_KEY, manifest=str(path), pretrained=False).name == "tiny_net"


@pytest.mark.parametrize(
    "mode, error, needle",
    [
        ("truncate", zoo.DownloadError, "Consistency check failed"),
        ("drop", zoo.DownloadError, "500"),
        ("500", zoo.DownloadError, "500"),
        ("corrupt", zoo.HashMismatchError, "downloaded"),
    ],
)
def test_misbehaving_server_gives_clear_error_and_no_model(
    hub_env, monkeypatch, mode, error, needle
):
    proxy = FaultProxy(hub_env.url, mode=mode)
    try:
        monkeypatch.setenv("HF_ENDPOINT", proxy.url)
        with pytest.raises(error, match=needle):
            zoo.load(TINY_KEY, progress=False)
        assert not (snapshot_dir(hub_env) / "model.weights.h5").exists()
        proxy.mode = None  # the server recovers: the next load succeeds and verifies
        model = zoo.load(TINY_KEY, progress=False)
        np.testing.assert_allclose(
            np.asarray(model(X)[0]), np.asarray(hub_env.models["v2"](X)[0]), atol=1e-6
        )
    finally:
        proxy.shutdown()
        proxy.server_close()
        huggingface_hub.close_session()


def _head(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        return urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10).status
    except urllib.error.HTTPError as err:
        return err.code


def test_olah_quirks_measured(hub_env):
    base = f"{hub_env.url}/{QUIRK_REPO}/resolve/main"
    codes = {
        name: _head(f"{base}/{name}")
        for name in (
            "edge120.bin",
            "odd130.bin",
            "edge150.bin",
            "text130.txt",
            "config.json",
            "missing.json",
        )
    }
    assert codes == {
        "edge120.bin": 200,
        "odd130.bin": 500,
        "edge150.bin": 200,
        "text130.txt": 200,
        "config.json": 200,
        "missing.json": 401,
    }
    tree = _head(f"{hub_env.url}/api/models/{QUIRK_REPO}/tree/main")
    assert tree in (405, 500)  # HEAD on the API; GET below shows the 500
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError, match="500"):
        urllib.request.urlopen(f"{hub_env.url}/api/models/{QUIRK_REPO}/tree/main", timeout=10)


def test_quirk_repo_fails_cleanly_not_partially(hub_env, tmp_path):
    manifest = json.loads(Path(hub_env.manifest).read_text())
    entry = manifest["models"].pop(TINY_KEY)
    entry["repo_id"] = QUIRK_REPO
    entry["revision"] = None
    entry["files"]["odd130.bin"] = {"sha256": "a" * 64, "size": 130}
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps({"format_version": 1, "default_tags": {}, "models": {"olah_quirk.v1": entry}})
    )
    refs = huggingface_hub.HfApi(endpoint=hub_env.url).list_repo_refs(QUIRK_REPO)
    entry["revision"] = refs.branches[0].target_commit
    path.write_text(
        json.dumps({"format_version": 1, "default_tags": {}, "models": {"olah_quirk.v1": entry}})
    )
    with pytest.raises(zoo.DownloadError, match=r"odd130.bin .*status 500"):
        zoo.load("olah_quirk", manifest=str(path), progress=False)
