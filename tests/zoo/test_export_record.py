"""The manifest summary of a verified export, and the card's LiteRT table."""

import pytest

from kzoo.publishing.model_card import export_table
from kzoo.zoo import ExportRecord, ModelEntry
from kzoo.zoo.entry_fields import EntryFieldError
from kzoo.zoo.export_record import export_record, export_summary
from tests.hub.tiny_zoo import tiny_entry


def _verify(with_logits=True):
    outputs = {
        "embedding": {
            "kind": "embedding",
            "max_abs_diff": 5.234e-7,
            "mean_abs_diff": 1e-8,
            "top1_agreement": 0.999,
            "keras_accuracy": 0.9,
            "litert_accuracy": 0.9005,
            "accuracy_change": 0.0005,
        }
    }
    if with_logits:
        outputs["logits"] = {
            "kind": "logits",
            "max_abs_diff": 1e-5,
            "mean_abs_diff": 1e-6,
            "top1_agreement": 1.0,
            "keras_accuracy": 0.93456,
            "litert_accuracy": 0.93456,
            "accuracy_change": 0.0,
        }
    return {
        "export": {},
        "verify": {
            "size_bytes": 1234,
            "num_samples": 2000,
            "runtime": "ai-edge-litert 9",
            "passed": True,
            "outputs": outputs,
        },
    }


def test_summary_scores_the_logits_when_the_model_has_classes():
    s = export_summary(_verify(), command="kzoo export x --record")
    assert s == {
        "size_bytes": 1234,
        "embedding_max_abs_diff": 5.2e-7,
        "top1_agreement": 1.0,
        "accuracy_keras": 0.9346,
        "accuracy_litert": 0.9346,
        "embedding_1nn_accuracy_change": 0.0005,
        "num_samples": 2000,
        "runtime": "ai-edge-litert 9",
        "passed": True,
        "command": "kzoo export x --record",
    }


def test_summary_of_an_embedding_only_model_scores_its_nearest_neighbours():
    s = export_summary(_verify(with_logits=False))
    assert s["top1_agreement"] == 0.999 and s["accuracy_litert"] == 0.9005
    assert "command" not in s


def test_open_set_models_score_the_embedding_despite_their_logits():
    s = export_summary(_verify(), score_logits=False)
    assert s["top1_agreement"] == 0.999 and s["accuracy_keras"] == 0.9


def test_summary_needs_a_verification_and_an_embedding():
    with pytest.raises(ValueError, match="no verification report"):
        export_summary({"export": {}, "verify": None})
    bad = _verify()
    del bad["verify"]["outputs"]["embedding"]
    with pytest.raises(ValueError, match="no embedding output"):
        export_summary(bad)


def test_card_table_rows_in_quantization_order():
    exports = {
        q: {**export_summary(_verify()), "size_bytes": size}
        for q, size in (("tflite-int8", 2**19), ("tflite-none", 2**21))
    }
    entry = ModelEntry.unpublished("m.v1", tiny_entry(exports=exports, metrics={"accuracy": 0.9}))
    lines = export_table(entry)
    assert "test accuracy: Keras → LiteRT" in lines[5]
    rows = [line for line in lines if line.startswith("| float32") or line.startswith("| int8")]
    assert rows == [
        "| float32 | 2.00 MiB | 2,000 | 5.2e-07 | 1.0000 | 0.9346 → 0.9346 |",
        "| int8 (calibrated) | 0.50 MiB | 2,000 | 5.2e-07 | 1.0000 | 0.9346 → 0.9346 |",
    ]
    assert export_table(entry.replace(exports=None)) == []


def test_typed_record_uses_the_zoo_scoring_rule():
    by_logits = export_record(_verify(), {"accuracy": 0.5}, "kzoo export m --record")
    by_embedding = export_record(_verify(), {"recall_at_1": 0.5}, "kzoo export m --record")
    assert by_logits.accuracy_keras == 0.9346 and by_embedding.accuracy_keras == 0.9
    assert isinstance(by_logits, ExportRecord) and by_logits.command == "kzoo export m --record"
    assert by_logits.to_dict() == export_summary(_verify(), "kzoo export m --record")
    assert by_embedding.to_dict() == export_summary(
        _verify(), "kzoo export m --record", score_logits=False
    )
    with pytest.raises(EntryFieldError, match="expected true, false or null") as err:
        ExportRecord.from_dict({**by_logits.to_dict(), "passed": "yes"})
    assert err.value.field == "exports.passed"
