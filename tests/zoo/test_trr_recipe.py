"""`training/trr_mlp.py`: a tiny run writes a valid, loadable entry whose metrics re-measure."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import kzoo
from kzoo.evaluation import evaluate
from kzoo.publishing.model_card import render_card
from kzoo.zoo import Manifest, ModelEntry, get_evaluator
from training.trr_mlp import main, model_key


def test_model_keys():
    assert model_key("trr") == "trr_mlp.synthetic"
    assert model_key("trr_new") == "trr_mlp.synthetic_trr_new"
    assert model_key("none") == "trr_mlp.synthetic_no_trr"
    assert model_key("trr", 50_000, 1) == "trr_mlp.synthetic_50k_seed1"
    assert model_key("none", 320) == "trr_mlp.synthetic_no_trr_n320"


@pytest.mark.slow  # a real (tiny) training run, and the full-split evaluation: ~30 s
@pytest.mark.multi_backend
def test_tiny_run_writes_a_loadable_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "run"
    argv = ["--variant", "trr_new", "--n-train", "64", "--epochs", "1", "--hidden", "16"]
    assert main([*argv, "--ci-limit", "100", "--out", str(out)]) == 0
    fields = json.loads((out / "entry.json").read_text())
    run = json.loads((out / "run.json").read_text())
    assert run["variant"] == "trr_new" and run["n_train"] == 64 and run["epochs_run"] == 1
    key = "trr_mlp.synthetic_trr_new_n64"
    data = {"repo_id": f"kzoo/{key}", "revision": None, "files": {}, **fields}
    entry = ModelEntry.from_dict(key, data)  # every required manifest field, validated
    assert entry.architecture.to_dict() == {
        "builder": "trr_mlp",
        "kwargs": {
            "num_features": 100,
            "num_classes": 10,
            "hidden": 16,
            "depth": 3,
            "keep_rate": 0.6,
        },
    }
    assert entry.embedding_size == 16 and entry.classes == 10 and entry.input.shape == (100,)
    assert entry.eval.dataset_kwargs == {"n_train": 64, "seed": 0, "data_seed": 0}
    assert entry.ci_eval.limit == 100 and entry.recipe.args["variant"] == "trr_new"
    assert set(entry.metrics) == {"accuracy", "recall_at_1", "map_at_r"}
    assert entry.parameters == 100 * 16 + 2 * 16 * 16 + 16 * 10 + 3 * 16 + 10

    # what tests/zoo/test_zoo_models.py checks for every manifest model: offline random build
    manifest = Manifest({"format_version": 1, "models": {key: data}})
    built = kzoo.load(key, pretrained=False, manifest=manifest, progress=False)
    embedding, logits = built(np.zeros((2, *entry.input.shape), "float32"))
    assert embedding.shape == (2, 16) and logits.shape == (2, 10)
    assert evaluate(key, limit=100, pretrained=False, manifest=manifest, progress=False)["rows"]

    # the saved weights score what the entry records on the CI slice
    model = keras.saving.load_model(out / "model.keras", compile=False, safe_mode=True)
    evaluator = get_evaluator(entry.eval.evaluator)
    measured = evaluator(model, entry, limit=100, progress=False, **entry.eval.kwargs)
    assert measured == pytest.approx(entry.ci_eval.metrics, abs=1e-4)

    card = render_card(entry)
    assert "feature values × 1 + 0" in card and "- Triplet Response Residual (TRR)" in card
