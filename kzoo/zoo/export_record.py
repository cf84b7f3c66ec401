"""A zoo entry's record of one verified LiteRT export, and the rule its exports are scored by."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kzoo.zoo.entry_fields import ExportRecord


def scores_logits(metrics: Mapping[str, Any]) -> bool:
    """Whether a zoo model's exports are scored by the logits' test accuracy.

    True when the model records a test `accuracy` (its classes are the test classes); False for
    open-set and embedding-only models, whose exports are scored by the embedding's
    leave-one-out 1-NN accuracy instead (e.g. Omniglot, whose logits are over the training
    characters).
    """
    return "accuracy" in metrics


def export_summary(
    result: dict[str, Any], command: str | None = None, *, score_logits: bool = True
) -> dict[str, Any]:
    """Condenses `kzoo.export.export_verified`'s result into a manifest's `exports` fields.

    `embedding_max_abs_diff`: max abs difference of the (normalised) embedding to Keras;
    `top1_agreement`: same argmax of the logits (models with classes) or the same leave-one-out
    cosine nearest neighbour (embedding-only models); `accuracy_keras` / `accuracy_litert`: the
    logits' test accuracy (models with classes) or the embedding's 1-NN accuracy, on the same
    `num_samples` test images; `embedding_1nn_accuracy_change`: LiteRT minus Keras 1-NN accuracy.
    """
    verify = result.get("verify")
    if not verify:
        raise ValueError("`result` has no verification report: export with verify=True.")
    outputs = verify["outputs"]
    embedding = next((o for o in outputs.values() if o["kind"] == "embedding"), None)
    logits = next((o for o in outputs.values() if o["kind"] == "logits"), None)
    if embedding is None:
        raise ValueError(f"The exported model has no embedding output: {sorted(outputs)}.")
    scored = logits if logits is not None and score_logits else embedding
    summary: dict[str, Any] = {
        "size_bytes": int(verify["size_bytes"]),
        "embedding_max_abs_diff": float(f"{embedding['max_abs_diff']:.2g}"),
        "top1_agreement": round(float(scored["top1_agreement"]), 4),
    }
    if "keras_accuracy" in scored:
        summary["accuracy_keras"] = round(float(scored["keras_accuracy"]), 4)
        summary["accuracy_litert"] = round(float(scored["litert_accuracy"]), 4)
    if "accuracy_change" in embedding:
        summary["embedding_1nn_accuracy_change"] = round(float(embedding["accuracy_change"]), 4)
    summary["num_samples"] = int(verify["num_samples"])
    summary["runtime"] = verify["runtime"]
    summary["passed"] = verify["passed"]
    if command:
        summary["command"] = command
    return summary


def export_record(result: dict[str, Any], metrics: Mapping[str, Any], command: str) -> ExportRecord:
    """The typed `exports["tflite-Q"]` record of an export of a model with these `metrics`."""
    return ExportRecord.from_dict(
        export_summary(result, command, score_logits=scores_logits(metrics))
    )
