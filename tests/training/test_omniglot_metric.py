"""The Omniglot recipe end to end on a few steps: entry fields, saved model, the evaluator again."""

from __future__ import annotations

import json

import keras
import pytest

from kzoo.evaluation.omniglot_one_shot import omniglot_one_shot
from kzoo.zoo.model_entry import ModelEntry
from tests.training.recipes import load_recipe

pytestmark = [pytest.mark.slow, pytest.mark.multi_backend]


@pytest.mark.parametrize(
    "method, split, outputs, classes",
    [
        ("triplet", "heldout", ["embedding"], None),
        ("margin_dws", "all", ["embedding"], None),
        ("arcface", "heldout", ["embedding", "logits"], 178),
    ],
)
def test_few_steps_write_a_valid_entry(tmp_path, method, split, outputs, classes):
    recipe = load_recipe("omniglot_metric")
    out = tmp_path / method
    args = ["--method", method, "--split", split, "--epochs", "1", "--steps-per-epoch", "2"]
    args += ["--episodes", "30", "--ci-limit", "10", "--monitor-episodes", "0", "--width", "8"]
    assert recipe.main([*args, "--out", str(out), "--verbose", "0"]) == 0
    fields = json.loads((out / "entry.json").read_text())
    key = recipe.NAMES[method] + (".omniglot_openset" if split == "heldout" else ".omniglot")
    entry = ModelEntry.from_dict(
        key, {**fields, "repo_id": "kzoo/x", "revision": None, "files": {}}
    )
    assert entry.outputs == outputs and entry.classes == classes
    assert entry.eval.kwargs["alphabets"] == ["Balinese", "Korean"]
    assert ("trained on all 8 alphabets" in entry.metrics_split) == (split == "all")
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    again = omniglot_one_shot(model, entry, progress=False, **entry.eval.kwargs)
    assert {k: round(v, 4) for k, v in again.items()} == pytest.approx(entry.metrics, abs=1e-3)
    sliced = omniglot_one_shot(model, entry, limit=10, progress=False, **entry.eval.kwargs)
    assert sliced == pytest.approx(entry.ci_eval.metrics, abs=1e-3)
