"""Builder/evaluator registries and the data-driven `pretrained=False` path (offline)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import kzoo.zoo as zoo
from kzoo.zoo import registry
from tests.hub.tiny_zoo import TINY_KEY, tiny_entry


def write_manifest(path, **overrides):
    entry = {**tiny_entry(**overrides), "revision": None, "files": {}}
    path.write_text(
        json.dumps({"format_version": 1, "default_tags": {}, "models": {TINY_KEY: entry}})
    )
    return str(path)


def test_random_weights_build_from_the_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = write_manifest(tmp_path / "m.json")
    model = zoo.load("tiny_net", pretrained=False, manifest=path)
    emb, logits = model(np.zeros((2, 28, 28, 1), "float32"))
    assert emb.shape == (2, 8) and logits.shape == (2, 10)
    embedder = zoo.load("tiny_net", pretrained=False, include_head=False, manifest=path)
    assert len(embedder.outputs) == 1 and embedder.outputs[0].shape[-1] == 8
    wide = write_manifest(
        tmp_path / "w.json",
        embedding_size=16,
        architecture={"builder": "tiny_test_net", "kwargs": {"embedding_size": 16}},
    )
    assert (
        zoo.load("tiny_net", pretrained=False, include_head=False, manifest=wide)
        .outputs[0]
        .shape[-1]
        == 16
    )


def test_manifest_and_architecture_must_agree(tmp_path):
    path = write_manifest(tmp_path / "m.json", embedding_size=16)
    with pytest.raises(zoo.ManifestError, match="embedding has size 8, the manifest says 16"):
        zoo.load("tiny_net", pretrained=False, manifest=path)
    path = write_manifest(tmp_path / "n.json", input={"shape": [32, 32, 3]})
    with pytest.raises(
        zoo.ManifestError, match=r"takes inputs \(28, 28, 1\), the manifest says \(32, 32, 3\)"
    ):
        zoo.load("tiny_net", pretrained=False, manifest=path)


def test_unknown_builder_suggests(tmp_path):
    path = write_manifest(
        tmp_path / "m.json", architecture={"builder": "tiny_tset_net", "kwargs": {}}
    )
    with pytest.raises(zoo.BuilderNotFoundError, match="Did you mean 'tiny_test_net'"):
        zoo.load("tiny_net", pretrained=False, manifest=path)


def test_registration_rules():
    def f():
        return None

    registry.register_builder("zz_test_builder", f)
    assert registry.get_builder("zz_test_builder") is f
    with pytest.raises(ValueError, match="already registered"):
        registry.register_builder("zz_test_builder", lambda: None)
    registry.register_builder("zz_test_builder", lambda: 1, overwrite=True)
    with pytest.raises(TypeError, match="callable"):
        registry.register_evaluator("zz_bad", 3)
    with pytest.raises(TypeError, match="`name`"):
        registry.register_builder("", f)
    assert "classification" in registry.registered_evaluators()
    registry._BUILDERS.pop("zz_test_builder")
