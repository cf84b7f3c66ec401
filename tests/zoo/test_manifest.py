"""weights_manifest.json: validation with clear errors, default tags, resolution, our file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from kzoo.zoo import Manifest, ManifestError, UnknownModelError
from kzoo.zoo.manifest import default_manifest_path
from tests.hub.tiny_zoo import tiny_entry

SHA = "a" * 40
FILES = {
    "config.json": {"sha256": "b" * 64, "size": 10},
    "model.weights.h5": {"sha256": "c" * 64, "size": 20},
}


def published(**overrides):
    return tiny_entry(revision=SHA, files=copy.deepcopy(FILES), **overrides)


def manifest(models, defaults=None):
    return Manifest({"format_version": 1, "default_tags": defaults or {}, "models": models})


def test_the_repository_manifest_is_valid():
    path = Path(__file__).resolve().parents[2] / "weights_manifest.json"
    assert Manifest.load(path).to_dict()["format_version"] == 1


def test_default_path_respects_env(monkeypatch, tmp_path):
    monkeypatch.setenv("KZOO_MANIFEST", str(tmp_path / "x.json"))
    assert default_manifest_path() == tmp_path / "x.json"
    with pytest.raises(ManifestError, match="No manifest at"):
        Manifest.load()


def test_resolution_and_default_tags():
    m = manifest({"net.a": published(), "net.b": published(), "other.x": published()}, {"net": "b"})
    assert m.resolve("net").key == "net.b"
    assert m.resolve("net.a").key == "net.a"
    assert m.resolve("other").key == "other.x"  # a single tag is its own default
    assert m.names() == ["net.a", "net.b", "other.x"]
    with pytest.raises(UnknownModelError, match="Did you mean 'net'"):
        m.resolve("nett")


def test_several_tags_need_a_default():
    with pytest.raises(ManifestError, match=r"set default_tags\['net'\]"):
        manifest({"net.a": published(), "net.b": published()})
    with pytest.raises(ManifestError, match=r"default_tags\['net'\] = 'c'"):
        manifest({"net.a": published()}, {"net": "c"})


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda e: e.pop("recipe"), "'recipe'"),
        (lambda e: e.update(revision="main"), "'revision'"),
        (lambda e: e["files"]["config.json"].update(sha256="XYZ"), "'files.config.json.sha256'"),
        (lambda e: e["files"]["config.json"].update(size=-1), "'files.config.json.size'"),
        (
            lambda e: (
                e.pop("files") and e.update(files={"model.weights.h5": FILES["model.weights.h5"]})
            ),
            "'files'",
        ),
        (lambda e: e.update(repo_id="no-namespace"), "'repo_id'"),
        (lambda e: e.update(outputs=["logits"]), "'outputs'"),
        (lambda e: e.update(outputs=["embedding"]), "'outputs'"),
        (lambda e: e.update(embedding_size=True), "'embedding_size'"),
        (lambda e: e["input"].update(shape=[28, 0]), "'input.shape'"),
        (lambda e: e.update(metrics={"accuracy": "high"}), "'metrics'"),
        (lambda e: e.update(eval={"evaluator": "classification"}), "'eval'"),
        (lambda e: e.update(architecture={"kwargs": {}}), "'architecture'"),
    ],
)
def test_bad_entries_name_the_entry_and_field(change, field):
    entry = published()
    change(entry)
    with pytest.raises(ManifestError, match=rf"entry 'net\.a', field {field}"):
        manifest({"net.a": entry})


def test_bad_keys_and_top_level():
    with pytest.raises(ManifestError, match="'name.tag'"):
        manifest({"Net": published()})
    with pytest.raises(ManifestError, match="format_version"):
        Manifest({"format_version": 2, "models": {}})
    with pytest.raises(ManifestError, match="top level"):
        Manifest([])


def test_save_round_trip(tmp_path):
    m = manifest({"net.a": published()})
    m.save(tmp_path / "m.json")
    again = Manifest.load(tmp_path / "m.json")
    assert again.to_dict() == m.to_dict()
    assert json.loads((tmp_path / "m.json").read_text())["default_tags"] == {"net": "a"}
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        Manifest.load(tmp_path / "bad.json")


def test_entry_attributes():
    entry = manifest({"net.a": published()}).resolve("net")
    assert (entry.name, entry.tag, entry.revision, entry.embedding_size) == ("net", "a", SHA, 8)
    with pytest.raises(AttributeError):
        _ = entry.not_a_field


def test_packaged_manifest_is_the_repository_one():
    import kzoo.zoo

    packaged = Path(kzoo.zoo.__file__).resolve().parent / "weights_manifest.json"
    root = Path(__file__).resolve().parents[2] / "weights_manifest.json"
    assert packaged.read_bytes() == root.read_bytes()
