"""The README's result tables, from the manifest (every figure a `kzoo eval` / `kzoo export`
recorded) and the learning curves the recipes wrote (`training/results/*/curve_*.csv`).

    python training/results_tables.py            # all tables, Markdown, to stdout
    python training/results_tables.py heads dcnet dcnet_v2
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import statistics
import sys

from kzoo.training import config_from_dict
from kzoo.zoo import Manifest
from kzoo.zoo.export_record import scores_logits

HEADS = ("softmax", "lsoftmax", "sphereface", "normface", "l2softmax", "coco", "cosface", "arcface")
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _exports(entry) -> dict:
    return {name: e.to_dict() for name, e in (entry.exports or {}).items()}


def _epochs(args: dict) -> str:
    return str(args.get("schedule", {}).get("epochs", args.get("epochs", "-")))


def _recipe(args: dict) -> str:
    """Epochs, plus the warm-up and augmentation of an engine-trained run (v2), from its
    recorded arguments."""
    parts = [f"{_epochs(args)} ep"]
    warmup = args.get("schedule", {}).get("warmup_epochs")
    if warmup:
        parts.append(f"warm-up {warmup:g}")
    augment = args.get("augment", {})
    if augment.get("shift"):
        parts.append(f"shift {augment['shift']}")
    if augment.get("flip"):
        parts.append(f"{augment['flip']} flip")
    return ", ".join(parts)


def zoo_table(manifest: Manifest) -> str:
    rows = ["| model | metrics (`kzoo eval NAME`) | trained with |", "|---|---|---|"]
    for key, entry in sorted(manifest.entries.items()):
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in sorted(entry.metrics.items()))
        rows.append(f"| `{key}` | {metrics} | `{entry.recipe.command or '-'}` |")
    return "\n".join(rows)


def heads_table(manifest: Manifest, dataset: str = "fashion_mnist") -> str:
    rows = [
        "| head | test accuracy | Recall@1 | MAP@R | recipe | model |",
        "|---|---|---|---|---|---|",
    ]
    for head in HEADS:
        key = f"{head}_resnet20.{dataset}"
        if key not in manifest.entries:
            rows.append(f"| {head} | not trained | | | | |")
            continue
        e = manifest.entries[key]
        m = e.metrics
        rows.append(
            f"| {head} | {_fmt(m.get('accuracy'))} | {_fmt(m.get('recall_at_1'))} "
            f"| {_fmt(m.get('map_at_r'))} | {_recipe(e.recipe.args or {})} | `{key}` |"
        )
    return "\n".join(rows)


def lsoftmax_table(manifest: Manifest) -> str:
    rows = [
        "| model | test error (ours) | test error (L-Softmax paper, Table 2) | epochs |",
        "|---|---|---|---|",
    ]
    for head, paper in (("softmax", "0.40%"), ("lsoftmax", "0.31% (m = 4)")):
        key = f"{head}_cnn.mnist"
        if key in manifest.entries:
            e = manifest.entries[key]
            error = 100 * (1 - e.metrics["accuracy"])
            rows.append(f"| `{key}` | {error:.2f}% | {paper} | {_epochs(e.recipe.args or {})} |")
    return "\n".join(rows)


def _mean_std(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"


def seeds_table(folder: str = os.path.join(RESULTS, "heads", "runs")) -> str:
    """Mean ± sample std over seeds of the runs whose `entry.json` was copied into `folder`;
    runs whose recorded configs differ only in `seed`, `name`, `entry` and the number of
    learning-curve points (a read-only probe) share a row. Configs are read through the loader,
    so a field added after a run was recorded counts as its default."""
    groups: dict[str, list[dict]] = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        with open(path, encoding="utf-8") as f:
            entry = json.load(f)
        args = config_from_dict(entry["recipe"]["args"]).to_dict()
        entry["recipe"]["args"] = args
        same = {k: v for k, v in args.items() if k not in ("seed", "name", "entry")}
        same["evaluate"] = {k: v for k, v in args["evaluate"].items() if k != "curve_points"}
        groups.setdefault(json.dumps(same, sort_keys=True), []).append(entry)
    rows = [
        "| head | head kwargs | recipe | seeds | test accuracy | Recall@1 | MAP@R |",
        "|---|---|---|---|---|---|---|",
    ]
    for runs in groups.values():
        args = runs[0]["recipe"]["args"]
        head_kwargs = sorted(args["model"].get("head_kwargs", {}).items())
        kwargs = ", ".join(f"{k}={v:g}" for k, v in head_kwargs)
        seeds = ", ".join(str(s) for s in sorted(r["recipe"]["args"]["seed"] for r in runs))
        cells = " | ".join(
            _mean_std([r["metrics"][m] for r in runs])
            for m in ("accuracy", "recall_at_1", "map_at_r")
        )
        rows.append(
            f"| {args['model']['head']} | {kwargs or '-'} | {_recipe(args)} | {seeds} | {cells} |"
        )
    return "\n".join(rows)


def read_curve(path: str) -> list[tuple[float, float]]:
    with open(path, encoding="utf-8") as f:
        return [(float(r["epoch"]), float(r["test_accuracy"])) for r in csv.DictReader(f)]


def first_epoch_reaching(curve: list[tuple[float, float]], target: float) -> float | None:
    return next((epoch for epoch, acc in sorted(curve) if acc >= target), None)


def _epochs_cell(values: list[float | None]) -> str:
    reached = [v for v in values if v is not None]
    listed = " / ".join("-" if v is None else f"{v:.2f}" for v in values)
    if len(values) < 2:
        return listed if reached else "not reached"
    if len(reached) < len(values):
        return f"{listed} ({len(values) - len(reached)} of {len(values)} not reached)"
    return f"{listed} (mean {statistics.mean(reached):.2f})"


def dcnet_table(folder: str = os.path.join(RESULTS, "dcnet")) -> str:
    """DCNet convergence from `curve_{conv}.csv` (seed 0) or `curve_{conv}_seed{N}.csv`: final
    test accuracy (mean ± sample std over seeds) and, per seed, the first curve point reaching
    85%, 90% and the plain convs' (mean) final accuracy."""
    curves: dict[str, dict[int, list[tuple[float, float]]]] = {}
    for path in sorted(glob.glob(os.path.join(folder, "curve_*.csv"))):
        conv, _, seed = os.path.basename(path)[len("curve_") : -len(".csv")].partition("_seed")
        curves.setdefault(conv, {})[int(seed or 0)] = read_curve(path)
    if "plain" not in curves:
        return "(no curves yet)"
    plain_final = statistics.mean(max(c)[1] for c in curves["plain"].values())
    targets = (0.85, 0.90, plain_final)
    head = " | ".join(f"epochs to {t:.2%}" for t in targets[:-1])
    rows = [
        f"| backbone convs | seeds | final test accuracy | {head} "
        f"| epochs to the plain final ({plain_final:.2%}) |",
        "|---|---|---|" + "---|" * len(targets),
    ]
    for conv in sorted(curves, key=lambda c: (c != "plain", c)):
        runs = [curves[conv][s] for s in sorted(curves[conv])]
        final = _mean_std([max(c)[1] for c in runs])
        cells = " | ".join(
            _epochs_cell([first_epoch_reaching(c, t) for c in runs]) for t in targets
        )
        seeds = ", ".join(str(s) for s in sorted(curves[conv]))
        rows.append(f"| {conv} | {seeds} | {final} | {cells} |")
    return "\n".join(rows)


def plot_curves(
    folder: str, title: str, label: str = "{}", ylim=(0.8, 0.95), dashed: str = "_v2"
) -> str:
    """Test accuracy against epochs for each `curve_*.csv` in `folder`, saved as `curves.png`;
    curves whose name contains `dashed` are drawn dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    paths = sorted(glob.glob(os.path.join(folder, "curve_*.csv")))
    colors = plt.get_cmap("tab20" if len(paths) > 10 else "tab10").colors
    for i, path in enumerate(paths):
        # the last mid-epoch point sits one step before the epoch-end one: keep the latter
        points = [(e, a) for e, a in read_curve(path) if e == round(e) or abs(e - round(e)) > 0.01]
        epochs, accuracy = zip(*sorted(points), strict=True)
        name = os.path.basename(path)[len("curve_") : -len(".csv")]
        style = "--" if dashed in name else "-"
        ax.plot(
            epochs,
            accuracy,
            style,
            marker=".",
            color=colors[i % len(colors)],
            label=label.format(name),
        )
    ax.set(xlabel="epoch", ylabel="Fashion-MNIST test accuracy", ylim=ylim)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", ncol=2, fontsize="small")
    out = os.path.join(folder, "curves.png")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    return out


PLOTS = {
    "dcnet": (
        "DCNet TanhConv vs plain conv (softmax, same budget, seed 0)",
        "ResNet-20, {} convs",
        (0.8, 0.95),
        "_v2",
    ),
    os.path.join("dcnet", "v2"): (
        "DCNet TanhConv (dashed) vs plain conv, v2 recipe, per seed",
        "{}",
        (0.8, 0.95),
        "tanh",
    ),
    "heads": ("Margin heads, ResNet-20 (seed 0; dashed: v2 recipe)", "{}", (0.5, 0.95), "_v2"),
}


def exports_table(manifest: Manifest) -> str:
    rows = [
        "| model | file | size | max abs diff, embedding | top-1 agreement "
        "| accuracy Keras → LiteRT | N |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, entry in sorted(manifest.entries.items()):
        for name, e in sorted(
            _exports(entry).items(), key=lambda kv: kv[1]["size_bytes"], reverse=True
        ):
            accuracy = (
                f"{e['accuracy_keras']:.4f} → {e['accuracy_litert']:.4f}"
                if "accuracy_keras" in e
                else "-"
            )
            rows.append(
                f"| `{key}` | {name.removeprefix('tflite-')} | {e['size_bytes'] / 2**20:.2f} MiB "
                f"| {e['embedding_max_abs_diff']:.1e} | {e['top1_agreement']:.4f} | {accuracy} "
                f"| {e['num_samples']:,} |"
            )
    return "\n".join(rows)


def int8_table(manifest: Manifest) -> str:
    """One row per model: the metric in Keras, after fp16 and after int8 (the README's summary)."""
    rows = [
        "| model | scored by | Keras | LiteRT fp16 | LiteRT int8 | int8 size | test samples |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, entry in sorted(manifest.entries.items()):
        exports = _exports(entry)
        fp16, int8 = exports.get("tflite-fp16"), exports.get("tflite-int8")
        if not (fp16 and int8 and "accuracy_keras" in int8):
            rows.append(f"| `{key}` | not exported | | | | | |")
            continue
        scored = "logits top-1" if scores_logits(entry.metrics) else "embedding 1-NN"
        rows.append(
            f"| `{key}` | {scored} | {int8['accuracy_keras']:.4f} | {fp16['accuracy_litert']:.4f} "
            f"| {int8['accuracy_litert']:.4f} | {int8['size_bytes'] / 2**20:.2f} MiB "
            f"| {int8['num_samples']:,} |"
        )
    return "\n".join(rows)


TABLES = {
    "zoo": zoo_table,
    "heads": heads_table,
    "lsoftmax": lsoftmax_table,
    "dcnet": lambda manifest: dcnet_table(),
    "dcnet_v2": lambda manifest: dcnet_table(os.path.join(RESULTS, "dcnet", "v2")),
    "seeds": lambda manifest: seeds_table(),
    "exports": exports_table,
    "int8": int8_table,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("tables", nargs="*", help=f"any of {', '.join(TABLES)} (default: all)")
    p.add_argument("--manifest", default=None)
    p.add_argument(
        "--plot",
        action="store_true",
        help="also draw training/results/{dcnet,dcnet/v2,heads}/curves.png",
    )
    args = p.parse_args(argv)
    unknown = sorted(set(args.tables) - set(TABLES))
    if unknown:
        p.error(f"unknown table(s) {', '.join(unknown)}; expected any of {', '.join(TABLES)}")
    manifest = Manifest.load(args.manifest)
    if args.plot:
        for folder, (title, label, ylim, dashed) in PLOTS.items():
            path = plot_curves(os.path.join(RESULTS, folder), title, label, ylim, dashed)
            print(f"wrote {path}")
    for name in args.tables or TABLES:
        print(f"### {name}\n\n{TABLES[name](manifest)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
