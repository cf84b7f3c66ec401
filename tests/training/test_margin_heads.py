"""The margin-head recipe end to end on a few images: entry fields, saved model, the score again."""

from __future__ import annotations

import json

import keras
import pytest

from kzoo.evaluation.classification import classification
from kzoo.zoo.model_entry import ModelEntry
from tests.training.recipes import load_recipe

pytestmark = [pytest.mark.slow, pytest.mark.multi_backend]


@pytest.mark.parametrize("head", ["arcface", "sphereface"])
def test_one_short_epoch_writes_an_entry_that_scores_as_recorded(tmp_path, head):
    args = ["--head", head, "--backbone", "lsoftmax_cnn", "--width", "8", "--dataset", "mnist"]
    args += ["--epochs", "1", "--train-limit", "512", "--out", str(tmp_path), "--verbose", "0"]
    assert load_recipe("margin_heads").main(args) == 0
    fields = json.loads((tmp_path / "entry.json").read_text())
    assert fields["recipe"]["args"]["head"] == head
    assert fields["recipe"]["command"].endswith("training/margin_heads.py " + " ".join(args))
    key = f"{head}_cnn.mnist"
    entry = ModelEntry.from_dict(
        key, {**fields, "repo_id": "kzoo/x", "revision": None, "files": {}}
    )
    assert entry.outputs == ["embedding", "logits"] and entry.classes == 10
    model = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    again = classification(model, entry, progress=False)
    assert {k: round(v, 4) for k, v in again.items()} == pytest.approx(entry.metrics, abs=1e-3)
