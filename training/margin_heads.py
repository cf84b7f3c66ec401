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
import sys
import time

import keras
import numpy as np

import kzoo
from kzoo.callbacks import MarginLambdaScheduler
from kzoo.evaluation.classification import classification
from kzoo.evaluation.data_path import load_split, predict, preprocess
from kzoo.models import HEADS, build_margin_classifier, training_model
from kzoo.zoo.entry_fields import InputSpec
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.recipe import recipe_record

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
ANNEALED = ("softmax", "lsoftmax", "sphereface")  # heads with a λ schedule (softmax: λ = 0)
RESNET = ("Deep Residual Learning for Image Recognition", "1512.03385")
DCNET = ("Decoupled Networks", "1804.08071")
CONVS = {
    "plain": None,
    "tanh": {
        "type": "decoupled",
        "magnitude": "tanh",
        "angular": "cosine",
        "learnable_rho": True,
        "normalize_norm": True,
    },
}


def model_key(args: argparse.Namespace) -> str:
    """`sphereface_resnet20.fashion_mnist`; `dcnet_tanh_resnet20...` with --conv;
    `lsoftmax_cnn.mnist` with --backbone lsoftmax_cnn."""
    if args.backbone == "lsoftmax_cnn":
        return f"{args.head}_cnn.{args.dataset}"
    family = args.head if args.conv == "plain" else f"dcnet_{args.conv}"
    return f"{family}_resnet{args.depth}.{args.dataset}"


def head_kwargs(args: argparse.Namespace) -> dict:
    if args.lambda_gamma is None:
        return {}
    if args.head not in ("lsoftmax", "sphereface"):
        raise SystemExit("--lambda-gamma applies to the lsoftmax and sphereface heads only")
    return {"head_kwargs": {"lambda_gamma": args.lambda_gamma}}


def backbone_kwargs(args: argparse.Namespace) -> dict:
    if args.backbone == "lsoftmax_cnn":
        return {"backbone": "lsoftmax_cnn", "backbone_kwargs": {"width": args.width}}
    return {"depth": args.depth, **({"conv": CONVS[args.conv]} if CONVS[args.conv] else {})}


class TestAccuracy(keras.callbacks.Callback):
    """Test accuracy of the inference model's margin-free logits: added to each epoch's logs as
    `test_accuracy`, and `points_per_epoch` times per epoch appended to `curve_path` (CSV)."""

    def __init__(
        self,
        model: keras.Model,
        x: np.ndarray,
        y: np.ndarray,
        steps_per_epoch: int,
        points_per_epoch: int = 1,
        curve_path: str | None = None,
    ) -> None:
        super().__init__()
        self.inference = model
        self.x, self.y = x, y
        self.steps_per_epoch = steps_per_epoch
        self.every = max(1, steps_per_epoch // max(1, points_per_epoch))
        self.curve_path = curve_path
        self.epoch = 0

    def accuracy(self) -> float:
        logits = predict(self.inference, self.x, progress=False)[1]
        return float(np.mean(np.argmax(logits, axis=1) == self.y))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        step = batch + 1
        if self.curve_path and step % self.every == 0 and step < self.steps_per_epoch:
            if hasattr(self.model, "jax_state_sync"):
                self.model.jax_state_sync()  # JAX keeps the weights off the model mid-epoch
            self.record(self.epoch + step / self.steps_per_epoch, self.accuracy())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        accuracy = self.accuracy()
        if logs is not None:
            logs["test_accuracy"] = accuracy
        if self.curve_path:
            self.record(epoch + 1.0, accuracy)
        print(f"\nepoch {epoch + 1}: test accuracy {accuracy:.4f}")

    def record(self, epoch: float, accuracy: float) -> None:
        new = not os.path.exists(self.curve_path)
        with open(self.curve_path, "a", encoding="utf-8") as f:
            f.write("epoch,test_accuracy\n" if new else "")
            f.write(f"{epoch:.4f},{accuracy:.4f}\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--head", default="sphereface", choices=sorted(HEADS))
    p.add_argument("--dataset", default="fashion_mnist", choices=["mnist", "fashion_mnist"])
    p.add_argument(
        "--conv",
        default="plain",
        choices=sorted(CONVS),
        help="backbone 3x3 convs: plain Conv2D or DCNet's TanhConv (cosine, learnable rho)",
    )
    p.add_argument("--backbone", default="resnet_cifar", choices=["resnet_cifar", "lsoftmax_cnn"])
    p.add_argument("--depth", type=int, default=20, help="ResNet depth (6n+2)")
    p.add_argument(
        "--width", type=int, default=64, help="channels of every conv of the lsoftmax_cnn"
    )
    p.add_argument("--embedding-dim", type=int, default=128)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.1, help="peak SGD learning rate (cosine decay)")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument(
        "--lambda-gamma",
        type=float,
        default=None,
        help="gamma of the L-Softmax / SphereFace lambda schedule (default: the head's); "
        "raise it to compress the schedule into a short budget",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--curve-points",
        type=int,
        default=1,
        help="test-accuracy measurements per epoch, written to OUT/curve.csv",
    )
    p.add_argument("--train-limit", type=int, default=None, help="use only the first N images")
    p.add_argument("--out", required=True, help="output folder (checkpoints, model, entry)")
    p.add_argument("--verbose", default="auto", help="keras fit verbosity (auto, 1, 2)")
    return p.parse_args(argv)


def entry_fields(
    args: argparse.Namespace,
    model: keras.Model,
    input_spec: dict,
    argv: list[str] | None = None,
) -> dict:
    cnn = args.backbone == "lsoftmax_cnn"
    arch_paper = PAPERS["lsoftmax"] if cnn else RESNET
    method_paper = PAPERS.get(args.head, arch_paper) if args.conv == "plain" else DCNET
    if cnn:
        arch = f"The L-Softmax paper's MNIST CNN ({args.width} channels per conv"
        arch += ", the paper's width)" if args.width == 64 else "; the paper uses 64)"
    else:
        arch = f"ResNet-{args.depth} (He et al.'s CIFAR layout, 28x28x1 input"
        arch += "" if args.conv == "plain" else f", DCNet {args.conv} x cosine 3x3 convs"
        arch += ")"
    skip = ("out", "verbose", "curve_points")
    recipe_args = {k: v for k, v in vars(args).items() if k not in skip}
    return {
        "architecture": {
            "builder": "margin_classifier",
            "kwargs": {
                "num_classes": 10,
                "head": args.head,
                "input_shape": [28, 28, 1],
                "embedding_dim": args.embedding_dim,
                **backbone_kwargs(args),
                **head_kwargs(args),
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
        "recipe": recipe_record("training/margin_heads.py", recipe_args, argv),
        "license": "apache-2.0",
        "papers": [
            {"title": t, "url": f"https://arxiv.org/abs/{a}"}
            for t, a in dict.fromkeys([method_paper, arch_paper])
        ],
        "tags": ["image-classification", "metric-learning", args.head]
        + (["cnn"] if cnn else [f"resnet{args.depth}"])
        + ([] if args.conv == "plain" else ["dcnet", f"{args.conv}conv"]),
        "datasets": [args.dataset],
        "description": f"{arch} with a {args.head} head, {args.embedding_dim}-d L2-normalised "
        f"embedding, trained on {args.dataset} train ({args.epochs} epochs); outputs "
        "[embedding, margin-free logits].",
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
    x, y = preprocess(images, InputSpec.from_dict(input_spec)), labels.astype("int32")

    if args.backbone == "lsoftmax_cnn" and args.conv != "plain":
        raise SystemExit("--conv applies to the resnet_cifar backbone only")
    model = build_margin_classifier(
        10,
        head=args.head,
        embedding_dim=args.embedding_dim,
        name=model_key(args).split(".")[0],
        **backbone_kwargs(args),
        **head_kwargs(args),
    )
    trainer = training_model(model)
    steps = args.epochs * int(np.ceil(len(x) / args.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, steps)
    trainer.compile(
        optimizer=keras.optimizers.SGD(schedule, momentum=0.9, weight_decay=args.weight_decay),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    test_x, test_y = load_split(args.dataset, "test")
    callbacks = [
        TestAccuracy(
            model,
            preprocess(test_x, InputSpec.from_dict(input_spec)),
            test_y,
            steps_per_epoch=steps // args.epochs,
            points_per_epoch=args.curve_points,
            curve_path=os.path.join(args.out, "curve.csv"),
        ),
        *([MarginLambdaScheduler()] if args.head in ANNEALED else []),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.BackupAndRestore(os.path.join(args.out, "backup")),
        keras.callbacks.CSVLogger(os.path.join(args.out, "history.csv"), append=True),
    ]
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    start = time.perf_counter()
    history = trainer.fit(
        {"image": x, "label": y},
        y,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        callbacks=callbacks,
        verbose=verbose,
    )
    minutes = (time.perf_counter() - start) / 60
    if not np.isfinite(history.history["loss"][-1]):
        print(
            f"training diverged (loss {history.history['loss'][-1]}); nothing written",
            file=sys.stderr,
        )
        return 1
    print(f"trained in {minutes:.1f} min ({keras.backend.backend()} backend)")

    fields = entry_fields(args, model, input_spec, argv)
    key = model_key(args)
    probe = ModelEntry.unpublished(key, {**fields, "metrics": {}})
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
