"""Every model in weights_manifest.json: builds offline, fetches, scores as recorded."""

from __future__ import annotations

import numpy as np
import pytest

import kzoo
from kzoo.evaluation import evaluate
from kzoo.hub import local_hub
from kzoo.zoo import Manifest

MANIFEST = Manifest.load()
KEYS = sorted(MANIFEST.entries)


@pytest.mark.parametrize("key", KEYS)
def test_builds_offline_with_random_weights(key, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    entry = MANIFEST.entries[key]
    model = kzoo.load(key, pretrained=False, progress=False)
    x = np.zeros((2, *entry.input.shape), dtype=entry.input.dtype)
    out = model(x)
    outputs = dict(
        zip(entry.outputs, out if isinstance(out, (list, tuple)) else [out], strict=True)
    )
    assert tuple(outputs["embedding"].shape) == (2, entry.embedding_size)
    if entry.classes:
        assert tuple(outputs["logits"].shape) == (2, entry.classes)


@pytest.fixture(scope="module")
def project_hub(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf_home")))
        mp.delenv("HF_HUB_OFFLINE", raising=False)
        with local_hub() as server:
            yield server


@pytest.mark.parametrize("key", KEYS)
def test_fetched_weights_score_as_recorded_on_the_ci_slice(key, project_hub):
    entry = MANIFEST.entries[key]
    ci = entry.ci_eval
    assert ci, f"{key} has no ci_eval: record one with `kzoo eval {key} --limit N --record`"
    report = evaluate(entry, limit=ci.limit, progress=False)
    rows = {row["metric"]: row for row in report["rows"]}
    assert set(rows) == set(ci.metrics)
    bad = {m: (r["recorded"], r["measured"]) for m, r in rows.items() if not r["ok"]}
    assert not bad, f"{key}: recorded vs measured beyond tolerance {report['tolerance']}: {bad}"
