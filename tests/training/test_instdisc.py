"""The instance-discrimination recipe on a few images: entry, saved model, the score again."""

from __future__ import annotations

import json

import keras
import pytest

from kzoo.evaluation.weighted_knn import weighted_knn
from kzoo.zoo.model_entry import ModelEntry
from tests.training.recipes import load_recipe

pytestmark = [pytest.mark.slow, pytest.mark.multi_backend]


@pytest.mark.parametrize("loss", ["nce", "softmax"])
def test_one_short_epoch_writes_an_entry_that_scores_as_recorded(tmp_path, loss):
    args = ["--loss", loss, "--epochs", "1", "--train-limit", "512", "--eval-limit", "200"]
    args += ["--monitor-limit", "200", "--negatives", "64", "--depth", "8"]
    args += ["--out", str(tmp_path), "--verbose", "0"]
    assert load_recipe("instdisc").main(args) == 0
    fields = json.loads((tmp_path / "entry.json").read_text())
    assert fields["recipe"]["args"]["loss"] == loss
    entry = ModelEntry.from_dict(
        "instdisc_resnet8.fashion_mnist",
        {**fields, "repo_id": "kzoo/x", "revision": None, "files": {}},
    )
    assert entry.outputs == ["embedding"] and entry.classes is None
    assert "smoke run" in entry.metrics_split
    model = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    again = weighted_knn(model, entry, limit=200, progress=False, **entry.eval.kwargs)
    assert {k: round(v, 4) for k, v in again.items()} == pytest.approx(entry.metrics, abs=1e-3)
