"""hf://kzoo/NAME through the zoo's fetch: pinned revision, sha256, quarantine, local_hub()."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import pytest

import kzoo
from kzoo.zoo import HashMismatchError, Manifest
from kzoo.zoo.hf_scheme import zoo_entry

KEY = "sphereface_resnet20.fashion_mnist"


def test_names_resolve_to_zoo_entries():
    manifest = Manifest.load()
    entry = manifest.resolve(KEY)
    assert zoo_entry("kzoo/sphereface_resnet20", manifest).key == KEY  # short: the default tag
    assert zoo_entry(entry.repo_id, manifest).key == KEY
    assert zoo_entry("kzoo/no_such_model", manifest) is None
    assert zoo_entry("someone/sphereface_resnet20", manifest) is None


def test_short_name_is_pinned_and_verified(fresh_hub):
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    reference = kzoo.load(KEY, progress=False).predict(x, verbose=0)
    model = keras.saving.load_model("hf://kzoo/sphereface_resnet20")
    for got, want in zip(model.predict(x, verbose=0), reference, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-6)
    # the file came from the manifest's pinned commit, not from `main`
    entry = Manifest.load().resolve(KEY)
    snapshots = Path(os.environ["HF_HOME"]) / "hub" / f"models--{entry.repo_id.replace('/', '--')}"
    assert [p.name for p in (snapshots / "snapshots").iterdir()] == [entry.revision]


def test_a_corrupted_cached_file_is_quarantined_not_loaded(fresh_hub):
    entry = Manifest.load().resolve(KEY)
    keras.saving.load_model(f"hf://{entry.repo_id}")
    cache = Path(os.environ["HF_HOME"]) / "hub" / f"models--{entry.repo_id.replace('/', '--')}"
    weights = cache / "snapshots" / entry.revision / "model.weights.h5"
    blob = Path(os.path.realpath(weights))
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(HashMismatchError, match="quarantined"):
        keras.saving.load_model("hf://kzoo/sphereface_resnet20")
    assert list((Path(os.environ["KZOO_HOME"]) / "quarantine").rglob("model.weights.h5.*"))
    model = keras.saving.load_model("hf://kzoo/sphereface_resnet20")  # fetched again, verified
    assert model.output_shape[1] == (None, 10)


def test_unwritable_kzoo_home_is_named_when_a_file_mismatches(fresh_hub, monkeypatch):
    entry = Manifest.load().resolve(KEY)
    kzoo.load(KEY, progress=False)
    cache = Path(os.environ["HF_HOME"]) / "hub" / f"models--{entry.repo_id.replace('/', '--')}"
    blob = Path(os.path.realpath(cache / "snapshots" / entry.revision / "model.weights.h5"))
    blob.write_bytes(b"not the weights")
    home = os.environ["KZOO_HOME"]
    monkeypatch.setenv("KZOO_HOME", "/proc/kzoo_home")
    with pytest.raises(HashMismatchError, match=r"KZOO_HOME \(/proc/kzoo_home\) is not writable"):
        kzoo.load(KEY, progress=False)
    monkeypatch.setenv("KZOO_HOME", home)
    assert kzoo.load(KEY, progress=False).output_shape[1] == (None, 10)  # refetched, verified
