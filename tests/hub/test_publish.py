"""Publishing: Keras' HF layout, the model card, deterministic commits, bundles olah can serve."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from kzoo import publishing
from kzoo.hub import bundles, repo_folder
from kzoo.hub.file_spec import FileSpec
from kzoo.hub.transport import git_blob_sha1
from kzoo.utils.file_digest import sha256_file
from kzoo.zoo import Manifest, PublishError
from tests.hub.tiny_zoo import TINY_KEY, build_tiny_net, empty_manifest, tiny_entry


def _publish(tmp: Path, model, **kwargs):
    tmp.mkdir(parents=True, exist_ok=True)
    manifest = empty_manifest(tmp / "weights_manifest.json")
    entry = publishing.publish(
        model,
        TINY_KEY,
        tiny_entry(),
        manifest=manifest,
        hub_dir=tmp / "hub",
        out_dir=tmp / "folder",
        **kwargs,
    )
    return entry, manifest


def test_same_files_give_the_same_commit(tmp_path):
    model = build_tiny_net(seed=0)
    a, _ = _publish(tmp_path / "a", model, tag="v1")
    b, _ = _publish(tmp_path / "b", model, tag="v1")
    assert a.revision == b.revision and len(a.revision) == 40
    c, _ = _publish(tmp_path / "c", model, date="2025-06-01T00:00:00+00:00")
    assert c.revision != a.revision
    d, _ = _publish(tmp_path / "d", build_tiny_net(seed=3))
    assert d.revision != a.revision
    e, _ = _publish(
        tmp_path / "e", build_tiny_net(seed=0)
    )  # another object: other Python ids inside
    assert e.revision == a.revision


def test_shared_object_ids_are_renumbered():
    config = {
        "a": {"shared_object_id": 140152492750288},
        "b": [{"shared_object_id": 9}, {"shared_object_id": 140152492750288}],
        "c": {"shared_object_id": None},
    }
    assert repo_folder.stable_shared_ids(config) == {
        "a": {"shared_object_id": 1},
        "b": [{"shared_object_id": 2}, {"shared_object_id": 1}],
        "c": {"shared_object_id": None},
    }


def test_republishing_unchanged_files_makes_no_new_commit(tmp_path):
    model = build_tiny_net(seed=0)
    first, manifest = _publish(tmp_path, model, tag="v1")
    bundle = bundles.bundle_path(tmp_path / "hub", first.repo_id)
    before = bundle.read_bytes()
    again = publishing.publish(
        model, TINY_KEY, manifest=manifest, hub_dir=tmp_path / "hub", tag="v1"
    )
    assert again.revision == first.revision and bundle.read_bytes() == before


def test_repo_folder_layout_and_manifest_pins(tmp_path):
    entry, manifest = _publish(tmp_path, build_tiny_net(seed=0), tag="v1")
    folder = tmp_path / "folder"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "config.json",
        "metadata.json",
        "model.weights.h5",
    ]
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["date_saved"] == "2025-01-01@00:00:00"
    for name, spec in entry.files.items():
        assert spec == FileSpec(sha256_file(folder / name), (folder / name).stat().st_size)
    saved = Manifest.load(manifest)
    assert saved.resolve("tiny_net").revision == entry.revision
    assert (folder / "model.weights.h5").stat().st_size < 50_000  # a few KB (HDF5 overhead)


def test_bundle_unpacks_to_a_bare_repo_with_the_pinned_commit(tmp_path):
    entry, _ = _publish(tmp_path, build_tiny_net(seed=0), tag="v1")
    bare = bundles.unpack_bundle(
        bundles.bundle_path(tmp_path / "hub", entry.repo_id), tmp_path / "bare"
    )
    git = ["git", "--git-dir", str(bare)]
    assert subprocess.check_output([*git, "rev-parse", "main"], text=True).strip() == entry.revision
    assert subprocess.check_output([*git, "rev-parse", "v1"], text=True).strip() == entry.revision
    assert (
        subprocess.check_output([*git, "symbolic-ref", "HEAD"], text=True).strip()
        == "refs/heads/main"
    )
    log = subprocess.check_output(
        [*git, "log", "-1", "--format=%an <%ae> %aI %cI"], text=True
    ).strip()
    assert (
        log == "kzoo <kzoo@users.noreply.huggingface.co> 2025-01-01T00:00:00+00:00 "
        "2025-01-01T00:00:00+00:00"
    )
    blob = subprocess.check_output([*git, "rev-parse", "main:model.weights.h5"], text=True).strip()
    assert blob == git_blob_sha1(tmp_path / "folder" / "model.weights.h5")


def test_model_card_metadata(tmp_path):
    _publish(tmp_path, build_tiny_net(seed=0))
    text = (tmp_path / "folder" / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---")[1])
    assert meta["library_name"] == "keras" and meta["license"] == "apache-2.0"
    assert "kzoo" in meta["tags"] and meta["datasets"] == ["fashion_mnist"]
    result = meta["model-index"][0]["results"][0]
    assert result["dataset"]["split"] == "test"
    assert {m["type"]: m["value"] for m in result["metrics"]} == {
        "accuracy": 0.1,
        "recall_at_1": 0.2,
    }
    for needle in (
        "python -m pytest tests/zoo",
        "https://arxiv.org/abs/1704.08063",
        'kzoo.load("tiny_net.v1")',
        "hf://kzoo-test/tiny_net.v1",
        '"seed": 0',
    ):
        assert needle in text


@pytest.mark.parametrize(
    "size, ok", [(120, True), (121, False), (130, False), (149, False), (150, True)]
)
def test_olah_unsafe_small_binary_files_are_refused(tmp_path, size, ok):
    (tmp_path / "blob.bin").write_bytes(b"\xff" * size)
    (tmp_path / "text.txt").write_bytes(b"y" * size)
    if ok:
        repo_folder.check_olah_safe(tmp_path)
    else:
        with pytest.raises(PublishError, match=rf"blob.bin is {size} bytes and not UTF-8.*500"):
            repo_folder.check_olah_safe(tmp_path)


def test_invalid_entry_is_refused_before_committing(tmp_path):
    manifest = empty_manifest(tmp_path / "m.json")
    with pytest.raises(Exception, match="embedding_size"):
        publishing.publish(
            build_tiny_net(),
            TINY_KEY,
            tiny_entry(embedding_size=-1),
            manifest=manifest,
            hub_dir=tmp_path / "hub",
        )
    assert not (tmp_path / "hub").exists()


def test_push_to_hub_without_token_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    with pytest.raises(PublishError, match="HF_TOKEN"):
        repo_folder.push_to_hub(tmp_path, "kzoo/x")


def test_refresh_card_rewrites_only_the_readme_and_pins_the_new_commit(tmp_path):
    entry, manifest = _publish(tmp_path, build_tiny_net(seed=0), tag="v1")
    saved = Manifest.load(manifest)
    data = saved.entries[TINY_KEY].to_dict()
    data["exports"] = {
        "tflite-none": {
            "size_bytes": 3 * 2**20,
            "embedding_max_abs_diff": 2e-7,
            "top1_agreement": 1.0,
            "accuracy_keras": 0.5,
            "accuracy_litert": 0.5,
            "num_samples": 100,
            "runtime": "ai-edge-litert 0",
            "passed": True,
        }
    }
    saved.set_entry(TINY_KEY, data)
    saved.save()
    refreshed = publishing.refresh_card(TINY_KEY, manifest=manifest, hub_dir=tmp_path / "hub")
    assert refreshed.revision != entry.revision and refreshed.files == entry.files
    assert Manifest.load(manifest).entries[TINY_KEY].revision == refreshed.revision
    bare = bundles.unpack_bundle(
        bundles.bundle_path(tmp_path / "hub", entry.repo_id), tmp_path / "bare"
    )
    git = ["git", "--git-dir", str(bare)]
    card = subprocess.check_output([*git, "show", "main:README.md"], text=True)
    assert "## LiteRT (TFLite) export" in card and "| float32 | 3.00 MiB | 100 |" in card
    changed = subprocess.check_output([*git, "diff", "--name-only", "v1", "main"], text=True)
    assert changed.split() == ["README.md"]
    again = publishing.refresh_card(TINY_KEY, manifest=manifest, hub_dir=tmp_path / "hub")
    assert again.revision == refreshed.revision  # nothing changed: no new commit


def test_refresh_card_refuses_an_unpublished_or_diverged_entry(tmp_path):
    entry, manifest = _publish(tmp_path, build_tiny_net(seed=0))
    saved = Manifest.load(manifest)
    data = saved.entries[TINY_KEY].to_dict()
    saved.set_entry(TINY_KEY, {**data, "revision": "0" * 40})
    saved.save()
    with pytest.raises(PublishError, match="publish the model again"):
        publishing.refresh_card(TINY_KEY, manifest=manifest, hub_dir=tmp_path / "hub")
    with pytest.raises(PublishError, match="not published yet"):
        publishing.refresh_card(TINY_KEY, manifest=manifest, hub_dir=tmp_path / "elsewhere")
