"""Recipe: a CIFAR ResNet with a margin-softmax head on MNIST / Fashion-MNIST (zoo issue 8).

Trains `build_margin_classifier(head=...)` with the margin applied through `training_model`,
checkpoints every epoch (`keras.callbacks.BackupAndRestore`: rerun the same command to resume),
then measures the test metrics with the zoo's own evaluator (the code `kzoo eval` runs) and
writes `model.keras` (the inference model: image -> [embedding, logits]) and `entry.json` (the
manifest fields, metrics included) into `--out`. Publish with
`kzoo publish NAME --model OUT/model.keras --entry OUT/entry.json --tag v1`.

    KERAS_BACKEND=jax python training/margin_heads.py --head sphereface --dataset fashion_mnist \
        --epochs 8 --out outputs/sphereface_resnet20.fashion_mnist
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

import keras
import numpy as np

import kzoo
from kzoo.callbacks import MarginLambdaScheduler
from kzoo.models import HEADS, build_margin_classifier, training_model
from kzoo.zoo.evaluation import classification, load_split, preprocess
from kzoo.zoo.model_entry import ModelEntry

PAPERS = {
    "sphereface": ("SphereFace: Deep Hypersphere Embedding for Face Recognition", "1704.08063"),
    "lsoftmax": ("Large-Margin Softmax Loss for Convolutional Neural Networks", "1612.02295"),
    "normface": ("NormFace: L2 Hypersphere Embedding for Face Verification", "1704.06369"),
    "l2softmax": ("L2-constrained Softmax Loss for Discriminative Face Verification", "1703.09507"),
    "coco": (
        "Learning Deep Features via Congenerous Cosine Loss for Person Recognition",
        "1702.06890",
    ),
    "cosface": ("CosFace: Large Margin Cosine Loss for Deep Face Recognition", "1801.09414"),
    "arcface": ("ArcFace: Additive Angular Margin Loss for Deep Face Recognition", "1801.07698"),
}
RESNET = ("Deep Residual Learning for Image Recognition", "1512.03385")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--head", default="sphereface", choices=sorted(HEADS))
    p.add_argument("--dataset", default="fashion_mnist", choices=["mnist", "fashion_mnist"])
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--embedding-dim", type=int, default=128)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1, help="peak SGD learning rate (cosine decay)")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-limit", type=int, default=None, help="use only the first N images")
    p.add_argument("--out", required=True, help="output folder (checkpoints, model, entry)")
    p.add_argument("--verbose", default="auto", help="keras fit verbosity (auto, 1, 2)")
    return p.parse_args(argv)


def entry_fields(args: argparse.Namespace, model: keras.Model, input_spec: dict) -> dict:
    title, arxiv = PAPERS.get(args.head, RESNET)
    recipe_args = {k: v for k, v in vars(args).items() if k not in ("out", "verbose")}
    return {
        "architecture": {
            "builder": "margin_classifier",
            "kwargs": {
                "num_classes": 10,
                "head": args.head,
                "depth": args.depth,
                "input_shape": [28, 28, 1],
                "embedding_dim": args.embedding_dim,
            },
        },
        "input": input_spec,
        "outputs": ["embedding", "logits"],
        "embedding_size": args.embedding_dim,
        "classes": 10,
        "eval": {
            "evaluator": "classification",
            "dataset": args.dataset,
            "split": "test",
            "kwargs": {},
        },
        "recipe": {
            "script": "training/margin_heads.py",
            "command": "KERAS_BACKEND="
            + keras.backend.backend()
            + " python training/margin_heads.py "
            + " ".join(shlex.quote(a) for a in sys.argv[1:]),
            "args": recipe_args,
        },
        "license": "apache-2.0",
        "papers": [
            {"title": title, "url": f"https://arxiv.org/abs/{arxiv}"},
            {"title": RESNET[0], "url": f"https://arxiv.org/abs/{RESNET[1]}"},
        ],
        "tags": ["image-classification", "metric-learning", args.head, f"resnet{args.depth}"],
        "datasets": [args.dataset],
        "description": f"ResNet-{args.depth} (He et al.'s CIFAR layout, 28x28x1 input) with a "
        f"{args.head} head, {args.embedding_dim}-d L2-normalised embedding, trained on "
        f"{args.dataset} train ({args.epochs} epochs); outputs [embedding, margin-free logits].",
        "parameters": int(model.count_params()),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    input_spec = {"shape": [28, 28, 1], "dtype": "float32", "scale": 1 / 255, "offset": 0.0}
    images, labels = load_split(args.dataset, "train")
    if args.train_limit:
        images, labels = images[: args.train_limit], labels[: args.train_limit]
    x, y = preprocess(images, input_spec), labels.astype("int32")

    model = build_margin_classifier(
        10,
        head=args.head,
        depth=args.depth,
        embedding_dim=args.embedding_dim,
        name=f"{args.head}_resnet{args.depth}",
    )
    trainer = training_model(model)
    steps = args.epochs * int(np.ceil(len(x) / args.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, steps)
    trainer.compile(
        optimizer=keras.optimizers.SGD(schedule, momentum=0.9, weight_decay=args.weight_decay),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    callbacks = [
        MarginLambdaScheduler(),
        keras.callbacks.BackupAndRestore(os.path.join(args.out, "backup")),
        keras.callbacks.CSVLogger(os.path.join(args.out, "history.csv"), append=True),
    ]
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    start = time.perf_counter()
    trainer.fit(
        {"image": x, "label": y},
        y,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        callbacks=callbacks,
        verbose=verbose,
    )
    minutes = (time.perf_counter() - start) / 60
    print(f"trained in {minutes:.1f} min ({keras.backend.backend()} backend)")

    fields = entry_fields(args, model, input_spec)
    key = f"{args.head}_resnet{args.depth}.{args.dataset}"
    probe = ModelEntry(key, {**fields, "metrics": {}})
    metrics = classification(model, probe)
    print(f"{key} test: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items())))
    fields["metrics"] = {k: round(float(v), 4) for k, v in metrics.items()}
    fields["metrics_split"] = f"{args.dataset} test (10,000 images)"
    model.save(os.path.join(args.out, "model.keras"))
    with open(os.path.join(args.out, "entry.json"), "w", encoding="utf-8") as f:
        json.dump(fields, f, indent=2, sort_keys=True)
    print(f"wrote {args.out}/model.keras and entry.json (kzoo {kzoo.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
