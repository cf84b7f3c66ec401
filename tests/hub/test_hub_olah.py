"""Fetching with the real huggingface_hub client from a real olah: revisions, cache, offline."""

from __future__ import annotations

import warnings

import huggingface_hub
import keras
import numpy as np
import pytest

import kzoo.zoo as zoo
from kzoo.hub.transport import hub_cache_dir
from tests.hub.tiny_zoo import TINY_KEY

X = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")


def outputs(model):
    out = model(X)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def assert_same(model, reference):
    for a, b in zip(outputs(model), outputs(reference), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_default_revision_is_pinned_sha_and_verified(hub_env):
    entry = zoo.get_manifest().resolve("tiny_net")
    assert entry.revision == hub_env.shas["v2"]
    model = zoo.load("tiny_net", progress=False)
    assert_same(model, hub_env.models["v2"])
    snapshot = hub_cache_dir() / "models--kzoo-test--tiny_net.v1" / "snapshots" / hub_env.shas["v2"]
    assert sorted(p.name for p in snapshot.iterdir()) == [
        "config.json",
        "metadata.json",
        "model.weights.h5",
    ]


def test_by_tag_and_by_sha(hub_env):
    with pytest.warns(UserWarning, match="not the manifest's pinned commit"):
        old = zoo.load(TINY_KEY, revision="v1", progress=False)
    assert_same(old, hub_env.models["v1"])
    with pytest.warns(UserWarning, match="git object ids"):
        by_sha = zoo.load(TINY_KEY, revision=hub_env.shas["v1"], progress=False)
    assert_same(by_sha, hub_env.models["v1"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = zoo.load(TINY_KEY, revision="v2", progress=False)  # v2 is the pinned commit
    assert_same(same, hub_env.models["v2"])


def test_offline_from_cache_needs_no_server(hub_env, monkeypatch):
    zoo.load(TINY_KEY, progress=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    assert_same(zoo.load(TINY_KEY, progress=False), hub_env.models["v2"])  # pinned sha: cache first
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert_same(zoo.load(TINY_KEY, progress=False), hub_env.models["v2"])


def test_offline_by_tag_from_cache(hub_env, monkeypatch):
    with pytest.warns(UserWarning):
        zoo.load(TINY_KEY, revision="v1", progress=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.warns(UserWarning):
        assert_same(zoo.load(TINY_KEY, revision="v1", progress=False), hub_env.models["v1"])


def test_include_head_false_gives_the_embedding_model(hub_env):
    embedder = zoo.load(TINY_KEY, include_head=False, progress=False)
    emb = np.asarray(embedder(X))
    assert emb.shape == (3, 8)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(emb, outputs(hub_env.models["v2"])[0], atol=1e-6)


def test_plain_keras_hf_load_through_olah(hub_env, monkeypatch):
    # huggingface_hub reads HF_ENDPOINT/HF_HOME at import; a user sets them before starting Python.
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", hub_env.url)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        hub_env.url + "/{repo_id}/resolve/{revision}/{filename}",
    )
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache_dir()))
    model = keras.saving.load_model("hf://kzoo-test/tiny_net.v1")
    assert_same(model, hub_env.models["v2"])


def test_list_and_info(hub_env):
    assert zoo.list_models() == [TINY_KEY]
    assert zoo.list_models("*resnet*") == []
    meta = zoo.info("tiny_net")
    assert meta["key"] == TINY_KEY and meta["default"] and meta["revision"] == hub_env.shas["v2"]
    assert set(meta["files"]) == {"config.json", "metadata.json", "model.weights.h5"}


def test_server_sees_card_metadata(hub_env):
    info = huggingface_hub.HfApi(endpoint=hub_env.url).model_info(
        "kzoo-test/tiny_net.v1", revision="main"
    )
    assert info.sha == hub_env.shas["v2"]
    assert info.card_data["library_name"] == "keras"
    results = {
        (r.metric_type, r.dataset_split): r.metric_value for r in info.card_data.eval_results
    }
    assert results == {("accuracy", "test"): 0.1, ("recall_at_1", "test"): 0.2}
