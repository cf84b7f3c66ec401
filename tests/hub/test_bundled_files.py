"""Weights out of the box: no HF_ENDPOINT and no reachable Hub → the verified copies in hub/."""

from __future__ import annotations

import numpy as np
import pytest

import kzoo
from kzoo.hub.bundled_files import bundled_folder
from kzoo.hub.errors import HashMismatchError, HubError
from kzoo.utils.file_digest import sha256_file
from kzoo.zoo import Manifest
from kzoo.zoo import loading as zoo_loading

KEY = "sphereface_resnet20.fashion_mnist"


@pytest.fixture
def no_server(fresh_caches, monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setattr(zoo_loading, "hub_reachable", lambda *a, **k: False)
    return fresh_caches


def test_load_with_no_server_serves_the_verified_bundle(no_server, capsys):
    model = kzoo.load("sphereface_resnet20", progress=False)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "verified copy in hub/" in err[0] and KEY in err[0]
    entry = Manifest.load().resolve(KEY)
    folder = no_server / "kzoo" / "bundled" / entry.repo_id.replace("/", "--") / entry.revision
    for name, spec in entry.files.items():
        assert sha256_file(folder / name) == spec.sha256
    x = np.zeros((2, 28, 28, 1), "float32")
    assert model.predict(x, verbose=0)[1].shape == (2, 10)


def test_a_corrupted_copy_is_read_again_from_the_bundle(no_server):
    entry = Manifest.load().resolve(KEY)
    folder = bundled_folder(entry.repo_id, entry.revision, entry.files)
    weights = folder / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    again = bundled_folder(entry.repo_id, entry.revision, entry.files)
    assert sha256_file(again / "model.weights.h5") == entry.files["model.weights.h5"].sha256


def test_a_bundle_that_differs_from_the_manifest_loads_nothing(no_server):
    entry = Manifest.load().resolve(KEY)
    files = {name: {"sha256": spec.sha256, "size": spec.size} for name, spec in entry.files.items()}
    files["model.weights.h5"]["sha256"] = "0" * 64
    with pytest.raises(HashMismatchError, match="Nothing was loaded"):
        bundled_folder(entry.repo_id, entry.revision, files)
    assert not (no_server / "kzoo" / "bundled" / "kzoo--" / entry.revision).exists()
    assert not list((no_server / "kzoo" / "bundled").glob("*/*/model.weights.h5"))


def test_without_a_bundle_the_error_names_the_fix(no_server, monkeypatch):
    monkeypatch.setattr(zoo_loading, "has_bundle", lambda *a, **k: False)
    with pytest.raises(HubError, match=r"kzoo hub serve.*local_hub\(\)"):
        kzoo.load("sphereface_resnet20", progress=False)


def test_unwritable_kzoo_home_is_reported_as_such(no_server, monkeypatch):
    monkeypatch.setenv("KZOO_HOME", "/proc/kzoo_home")
    with pytest.raises(HubError, match=r"KZOO_HOME \(/proc/kzoo_home\) is not writable"):
        kzoo.load("sphereface_resnet20", progress=False)
