"""The README.md model card of a published zoo repository (HF metadata + recipe + metrics)."""

from __future__ import annotations

import json

from huggingface_hub import EvalResult, ModelCardData

from kzoo.zoo.export_record import scores_logits
from kzoo.zoo.model_entry import ModelEntry

DATASET_NAMES = {
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "omniglot": "Omniglot",
    "att_faces": "AT&T faces",
    "trr_synthetic": "TRR synthetic",
}
QUANTIZE_TEXT = {"none": "float32", "fp16": "float16 weights", "int8": "int8 (calibrated)"}


def card_data(entry: ModelEntry) -> ModelCardData:
    """The card's YAML front matter: Hub metadata and the recorded metrics as eval results."""
    ev = entry.eval
    task = ev.task or ("image-classification" if entry.classes else "image-feature-extraction")
    results = [
        EvalResult(
            task_type=task,
            dataset_type=ev.dataset,
            dataset_name=DATASET_NAMES.get(ev.dataset, ev.dataset),
            dataset_split=ev.split,
            metric_type=metric,
            metric_value=float(value),
            metric_name=f"{metric} ({ev.split})",
        )
        for metric, value in sorted(entry.metrics.items())
    ]
    return ModelCardData(
        library_name="keras",
        license=entry.license or "apache-2.0",
        tags=sorted({"kzoo", "keras", "embedding", "metric-learning", *(entry.tags or [])}),
        datasets=sorted({ev.dataset, *(entry.datasets or [])}),
        pipeline_tag=task,
        model_name=entry.key,
        eval_results=results or None,
    )


def render_card(entry: ModelEntry) -> str:
    """The full README.md text: YAML front matter, then what the model is and how to load it."""
    ev, recipe, spec, key = entry.eval, entry.recipe, entry.input, entry.key
    lines = ["---", card_data(entry).to_yaml().strip(), "---", "", f"# {key}", ""]
    if entry.description:
        lines += [entry.description, ""]
    lines += [
        f"A [kzoo](https://github.com/kzoo/kzoo) model: {entry.embedding_size}-d embeddings"
        + (f" and {entry.classes}-class logits" if entry.classes else "")
        + f" for inputs of shape {tuple(spec.shape)}"
        + f" ({'pixel' if len(spec.shape) > 1 else 'feature'} values"
        + f" × {spec.scale:.6g}"
        + f" + {spec.offset:g}).",
        "",
        "## Use",
        "",
        "```python",
        "import kzoo",
        f'model = kzoo.load("{key}")  # files verified against the manifest\'s sha256',
        f'embedder = kzoo.load("{key}", include_head=False)',
        "",
        "import keras  # or plain Keras, once kzoo is imported (its layers are registered)",
        f'model = keras.saving.load_model("hf://{entry.repo_id}")',
        "```",
        "",
        f"Outputs, in order: {', '.join(entry.outputs)}.",
        "",
        "## Results",
        "",
        f"Measured with `kzoo eval {key}` on the {DATASET_NAMES.get(ev.dataset, ev.dataset)} "
        f"{ev.split} split (evaluator `{ev.evaluator}`).",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {m} | {v:.4f} |" for m, v in sorted(entry.metrics.items())] or [
        "| (not measured yet) | |"
    ]
    if entry.metrics_note:
        lines += ["", entry.metrics_note]
    lines += export_table(entry)
    lines += ["", "## Training recipe", ""]
    if recipe.script:
        lines += [f"Script: `{recipe.script}`", ""]
    if recipe.command:
        lines += ["```bash", recipe.command, "```", ""]
    if recipe.args:
        lines += [
            "Arguments:",
            "",
            "```json",
            json.dumps(recipe.args, indent=2, sort_keys=True),
            "```",
            "",
        ]
    if entry.papers:
        lines += ["## Papers", ""]
        lines += [f"- [{p.title}]({p.url})" if p.url else f"- {p.title}" for p in entry.papers]
        lines.append("")
    lines += ["## Files", "", "| file | sha256 | bytes |", "|---|---|---|"]
    lines += [f"| {f} | `{s.sha256}` | {s.size} |" for f, s in sorted(entry.files.items())]
    lines.append("")
    return "\n".join(lines)


def export_table(entry: ModelEntry) -> list[str]:
    """The card's LiteRT section: one row per verified export in the entry's `exports`."""
    exports = {k: v for k, v in (entry.exports or {}).items() if k.startswith("tflite-")}
    if not exports:
        return []
    scored = "test accuracy" if scores_logits(entry.metrics) else "1-NN accuracy of the embedding"
    lines = [
        "",
        "## LiteRT (TFLite) export",
        "",
        f"`kzoo export {entry.key} --quantize Q` writes a builtin-ops-only `.tflite` of the "
        "inference graph (outputs: " + ", ".join(entry.outputs) + "), verified in the "
        "`ai-edge-litert` interpreter against Keras on the first N test images.",
        "",
        "| file | size | N | max abs diff, embedding | top-1 agreement "
        f"| {scored}: Keras → LiteRT |",
        "|---|---|---|---|---|---|",
    ]
    order = {f"tflite-{q}": i for i, q in enumerate(QUANTIZE_TEXT)}
    for name in sorted(exports, key=lambda n: order.get(n, len(order))):
        e = exports[name]
        quantize = name.removeprefix("tflite-")
        accuracy = (
            f"{e.accuracy_keras:.4f} → {e.accuracy_litert:.4f}"
            if e.accuracy_keras is not None
            else "-"
        )
        lines.append(
            f"| {QUANTIZE_TEXT.get(quantize, quantize)} | {e.size_bytes / 2**20:.2f} MiB "
            f"| {e.num_samples:,} | {e.embedding_max_abs_diff:.1e} "
            f"| {e.top1_agreement:.4f} | {accuracy} |"
        )
    return lines
