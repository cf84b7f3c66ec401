"""Recipe: one TRR Table 1 run as a zoo entry, `trr_mlp.synthetic*` (zoo issue 8).

Trains one run of `training/trr_table1.py` (its code and defaults: the seed's MLP and
hyper-parameters; `--variant` none / trr / trr_new at `--n-train` samples, `--seed`), then
measures the trained model with the zoo's evaluator `trr_synthetic` (the code `kzoo eval` runs)
on the whole validation split and on its CI slice (`--ci-limit`), and writes into `--out`:
`model.keras` (the inference model: features -> [embedding, logits], the weights at the end of
training), `entry.json` (the manifest fields, metrics included) and `run.json` (the Table 1
record of the run: best validation accuracy, its epoch, the per-epoch history, TRR scores).
Publish with `kzoo publish NAME --model OUT/model.keras --entry OUT/entry.json --tag v1`.

    KERAS_BACKEND=jax python training/trr_mlp.py --variant trr --out outputs/trr_mlp.synthetic

(Run from the repository root; the script imports this checkout's `kzoo` and `training`.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: this checkout's `kzoo` and `training`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

import kzoo  # noqa: E402
from kzoo.datasets.trr_synthetic import (  # noqa: E402
    TRR_NUM_CLASSES,
    TRR_NUM_FEATURES,
    fingerprint_labels,
    generator_parameters,
    validation_split,
)
from kzoo.evaluation.trr_synthetic import trr_synthetic  # noqa: E402
from kzoo.zoo.model_entry import ModelEntry  # noqa: E402
from kzoo.zoo.recipe import recipe_record  # noqa: E402
from training.trr_table1 import VARIANTS, add_training_args, train  # noqa: E402

NAMES = {"none": "No TRR", "trr": "TRR", "trr_new": "TRR_new"}
TAGS = {"none": "_no_trr", "trr": "", "trr_new": "_trr_new"}
LOSSES = {
    "none": "softmax cross-entropy on the anchors only (alpha 0)",
    "trr": "cross-entropy + alpha * sum_i sigmoid(||a-p||^2 - ||a-n||^2) (the seed's Eq. 2) "
    "over the three hidden layers' outputs",
    "trr_new": "cross-entropy + alpha * sum_i [sigmoid(||a-p||^2) - sigmoid(||a-n||^2)] "
    "(the seed's Eq. 3/4) over the three hidden layers' outputs; the squared distances are "
    "~150, where the sigmoid is saturated and its float32 gradient is 0, so in kzoo's Table 1 "
    "runs this model equals the No-TRR one bit for bit",
}
SEED_POST = "Triplet Response Residual (TRR) 与特征表示学习 (blog post; the TRR seed, seed 000)"
NESTDNN = (
    "NestDNN: Resource-Aware Multi-Tenant On-Device Deep Learning for Continuous Mobile Vision",
    "https://www.egr.msu.edu/~mizhang/papers/2018_MobiCom_NestDNN.pdf",
)


def model_key(variant: str, n_train: int = 10_000, seed: int = 0) -> str:
    """`trr_mlp.synthetic` (TRR), `trr_mlp.synthetic_trr_new`, `trr_mlp.synthetic_no_trr`;
    `_50k` / `_seed1` appended for another training size / seed."""
    tag = f"synthetic{TAGS[variant]}"
    if n_train != 10_000:
        tag += f"_{n_train // 1000}k" if n_train % 1000 == 0 else f"_n{n_train}"
    return f"trr_mlp.{tag}" + ("" if seed == 0 else f"_seed{seed}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--variant", default="trr", choices=VARIANTS)
    p.add_argument("--n-train", type=int, default=10_000, help="training samples (Table 1 size)")
    p.add_argument("--seed", type=int, default=0, help="training seed (sample, init, batches)")
    add_training_args(p)
    p.add_argument("--ci-limit", type=int, default=1000, help="validation samples of the CI slice")
    p.add_argument("--out", required=True, help="output folder (model.keras, entry.json)")
    return p.parse_args(argv)


def entry_fields(
    args: argparse.Namespace, model: keras.Model, result: dict, argv: list[str] | None = None
) -> dict:
    """The manifest fields of the run (all but `metrics`, `ci_eval` and the hub's)."""
    key = model_key(args.variant, args.n_train, args.seed)
    _, y_val = validation_split(args.data_seed)
    recipe_args = {k: v for k, v in vars(args).items() if k != "out"}
    return {
        "architecture": {
            "builder": "trr_mlp",
            "kwargs": {
                "num_features": TRR_NUM_FEATURES,
                "num_classes": TRR_NUM_CLASSES,
                "hidden": args.hidden,
                "depth": 3,
                "keep_rate": args.keep_rate,
            },
        },
        "input": {"shape": [TRR_NUM_FEATURES], "dtype": "float32", "scale": 1.0, "offset": 0.0},
        "outputs": ["embedding", "logits"],
        "embedding_size": args.hidden,
        "classes": TRR_NUM_CLASSES,
        "eval": {
            "evaluator": "trr_synthetic",
            "dataset": "trr_synthetic",
            "split": "validation",
            "task": "tabular-classification",
            "dataset_kwargs": {
                "n_train": args.n_train,
                "seed": args.seed,
                "data_seed": args.data_seed,
            },
            "kwargs": {
                "data_seed": args.data_seed,
                **generator_parameters(),
                "labels_sha256": fingerprint_labels(y_val),
            },
        },
        "recipe": recipe_record("training/trr_mlp.py", recipe_args, argv),
        "license": "apache-2.0",
        "papers": [{"title": SEED_POST}, {"title": NESTDNN[0], "url": NESTDNN[1]}],
        "tags": ["tabular-classification", "metric-learning", "trr", "mlp", "synthetic"],
        "datasets": ["trr_synthetic"],
        "description": f"The TRR seed's MLP (3 x Dense({args.hidden}) + ReLU, dropout keep "
        f"{args.keep_rate}, linear 10-class output), '{NAMES[args.variant]}' of its Table 1: "
        f"{LOSSES[args.variant]}. Trained on "
        f"{args.n_train} samples of kzoo.datasets.trr_synthetic (seed {args.seed}, data_seed "
        f"{args.data_seed}), {result['epochs_run']} epoch(s) (early stopping; best validation "
        f"accuracy {result['best_val_acc']:.4f} at epoch {result['best_epoch']}; the weights are "
        "the last epoch's). Outputs [embedding (the last hidden layer's ReLU output, compare by "
        f"Euclidean distance), logits]. Key {key}.",
        "parameters": int(model.count_params()),
    }


def measure(model: keras.Model, key: str, fields: dict, limit: int | None) -> dict[str, float]:
    probe = ModelEntry.unpublished(key, {**fields, "metrics": {}})
    metrics = trr_synthetic(model, probe, limit=limit, progress=False, **fields["eval"]["kwargs"])
    return {k: round(float(v), 4) for k, v in sorted(metrics.items())}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    key = model_key(args.variant, args.n_train, args.seed)
    os.makedirs(args.out, exist_ok=True)
    result, model = train(args.n_train, args.variant, args.seed, args)
    print(
        f"{key}: trained in {result['seconds']} s ({keras.backend.backend()}), "
        f"{result['epochs_run']} epochs, best validation accuracy {result['best_val_acc']:.4f} "
        f"at epoch {result['best_epoch']}"
    )
    fields = entry_fields(args, model, result, argv)
    fields["metrics"] = measure(model, key, fields, None)
    fields["metrics_split"] = "trr_synthetic validation (10,000 samples, regenerated)"
    fields["metrics_command"] = f"kzoo eval {key}"
    fields["ci_eval"] = {
        "limit": args.ci_limit,
        "metrics": measure(model, key, fields, args.ci_limit),
        "command": f"kzoo eval {key} --limit {args.ci_limit}",
    }
    print(f"{key} validation: {fields['metrics']}; first {args.ci_limit}: {fields['ci_eval']}")
    model.save(os.path.join(args.out, "model.keras"))
    with open(os.path.join(args.out, "entry.json"), "w", encoding="utf-8") as f:
        json.dump(fields, f, indent=2, sort_keys=True, ensure_ascii=False)
    with open(os.path.join(args.out, "run.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(f"wrote {args.out}/model.keras, entry.json and run.json (kzoo {kzoo.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
