"""Recipe: ResNet-20 trained without labels by non-parametric instance discrimination (issue 8).

Wu et al. (2018): every training image is its own class. A memory bank
(`kzoo.layers.NCEMemoryBank`) keeps one 128-d unit vector per image; each step the batch's
embeddings are scored against their own bank rows and m = 4096 rows drawn uniformly as noise,
with temperature τ = 0.07 and Z estimated once (first batch), and trained with the NCE loss
(`kzoo.losses.NCELoss`); the bank rows are then updated with momentum 0.5. SGD, lr 0.03
(cosine decay here: the paper's step schedule is for 200 epochs), momentum 0.9, weight decay
5e-4, batch 128. Augmentation: a random shift of up to `--max-shift` pixels (zero fill, the
pad-and-crop of CIFAR recipes) and a horizontal flip, per image.

Labels are used only by the weighted-kNN monitor (the bank rows' labels vote for the test
images each epoch, as in the paper) and the final evaluation; the model never sees them in
training. Checkpoints every epoch (`keras.callbacks.BackupAndRestore`; the bank, Z and the
noise sampler's state are weights of the trainer, so rerunning the same command resumes with
them), then measures the metrics with the zoo's `weighted_knn` evaluator (the code
`kzoo eval` runs: kNN of the test images against the train images, k = 200, τ = 0.07, and the
same vote on raw pixels) and writes `model.keras` (the inference model: image -> embedding, no
bank) and `entry.json` (the manifest fields, metrics included) into `--out`. Publish with
`kzoo publish NAME --model OUT/model.keras --entry OUT/entry.json --tag v1`.

    KERAS_BACKEND=tensorflow python training/instdisc.py --epochs 10 \
        --out outputs/instdisc_resnet20.fashion_mnist

`--loss softmax` trains the exact non-parametric softmax over the whole bank instead (the
objective NCE approximates; n = 60,000 logits per image, about the same step time here).

What short runs show (2-core CPU, so read them as smoke tests, not results): with the paper's Z,
estimated once against the random initial bank, the NCE loss rises epoch after epoch and the
kNN accuracy stays near chance over the first epochs. The untrained network maps every image
to nearly the same direction (mean cosine 0.996), so the bank soon holds rows far more similar
than the random ones Z was estimated on (re-estimating Z each epoch in a 6,400-image run gave
values up to ~10^5 times the first one).
The exact softmax learns from the first epoch (kNN 0.34 after one epoch on 60,000 images vs
0.12 for NCE) but both start far below the untrained network's kNN (0.75) and raw pixels
(0.79): the paper trains 200 epochs.

Reference: Wu, Xiong, Yu, Lin, "Unsupervised Feature Learning via Non-Parametric Instance
Discrimination", CVPR 2018 (arXiv 1805.01978).
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
from kzoo.callbacks import WeightedKNNMonitor
from kzoo.evaluation.data_path import load_split, preprocess
from kzoo.evaluation.weighted_knn import weighted_knn
from kzoo.layers import NCEMemoryBank
from kzoo.losses import NCELoss
from kzoo.models import build_embedding_model
from kzoo.zoo.entry_fields import InputSpec
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.recipe import recipe_record

INSTDISC = (
    "Unsupervised Feature Learning via Non-Parametric Instance Discrimination",
    "1805.01978",
)
RESNET = ("Deep Residual Learning for Image Recognition", "1512.03385")
INPUT = {"shape": [28, 28, 1], "dtype": "float32", "scale": 1 / 255, "offset": 0.0}
INPUT_SPEC = InputSpec.from_dict(INPUT)


def model_key(args: argparse.Namespace) -> str:
    return f"instdisc_resnet{args.depth}.{args.dataset}"


def architecture_kwargs(args: argparse.Namespace) -> dict:
    return {
        "backbone": "resnet_cifar",
        "depth": args.depth,
        "embedding_dim": args.embedding_dim,
        "input_shape": [28, 28, 1],
    }


class EpochTimer(keras.callbacks.Callback):
    """Adds the epoch's wall time in minutes to the logs (`epoch_minutes`) and prints it."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        minutes = (time.perf_counter() - self.start) / 60
        if logs is not None:
            logs["epoch_minutes"] = minutes
        print(f"\nepoch {epoch + 1}: {minutes:.2f} min", flush=True)


class BankReport(keras.callbacks.Callback):
    """Prints the memory bank's state when training starts (after `BackupAndRestore`, so a
    resumed run shows the restored bank: its update count and the fixed Z)."""

    def __init__(self, bank: NCEMemoryBank) -> None:
        super().__init__()
        self.bank = bank

    def on_train_begin(self, logs: dict | None = None) -> None:
        if int(keras.ops.convert_to_numpy(self.bank.step)):
            print(f"resumed: memory bank {describe_bank(self.bank)}")
        else:
            print("memory bank: fresh (random unit rows)")


def describe_bank(bank: NCEMemoryBank) -> str:
    """`after N updates, Z = ...` (no Z in softmax mode)."""
    step = int(keras.ops.convert_to_numpy(bank.step))
    return f"after {step} updates" + (f", Z = {bank.normalizer:.6g}" if bank.mode == "nce" else "")


def build_trainer(
    embedder: keras.Model, args: argparse.Namespace, num_instances: int
) -> tuple[keras.Model, NCEMemoryBank]:
    """`[image, id] -> log P(j|v)` of the positive and the noise rows; augmentation inside."""
    image = keras.Input((28, 28, 1), name="image")
    ids = keras.Input((), dtype="int32", name="id")
    x = image
    if args.max_shift > 0:
        factor = args.max_shift / 28
        x = keras.layers.RandomTranslation(
            factor,
            factor,
            fill_mode="constant",
            interpolation="nearest",
            seed=args.seed + 1,
            name="random_shift",
        )(x)
    if args.flip:
        x = keras.layers.RandomFlip("horizontal", seed=args.seed + 2, name="random_flip")(x)
    bank = NCEMemoryBank(
        num_instances,
        num_negatives=args.negatives,
        mode=args.loss,
        temperature=args.temperature,
        momentum=args.bank_momentum,
        proximal_weight=args.proximal_weight,
        seed=args.seed,
        name="memory_bank",
    )
    return keras.Model([image, ids], bank([embedder(x), ids]), name="instdisc_trainer"), bank


def training_loss(args: argparse.Namespace, num_instances: int) -> keras.losses.Loss:
    if args.loss == "nce":
        return NCELoss(num_instances)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)  # y = the instance id


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--dataset", default="fashion_mnist", choices=["mnist", "fashion_mnist"])
    p.add_argument("--depth", type=int, default=20, help="ResNet depth (6n+2)")
    p.add_argument("--embedding-dim", type=int, default=128)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.03, help="peak SGD learning rate")
    p.add_argument("--schedule", default="cosine", choices=["cosine", "constant"])
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument(
        "--loss",
        default="nce",
        choices=["nce", "softmax"],
        help="NCE with m noise rows (the paper's), or the exact non-parametric softmax",
    )
    p.add_argument("--negatives", type=int, default=4096, help="m, noise rows per image")
    p.add_argument("--temperature", type=float, default=0.07, help="tau of the NCE scores")
    p.add_argument("--bank-momentum", type=float, default=0.5, help="memory bank update momentum")
    p.add_argument(
        "--proximal-weight", type=float, default=0.0, help="lambda of the proximal term (paper 3.4)"
    )
    p.add_argument("--max-shift", type=int, default=4, help="random shift in pixels (0: none)")
    p.add_argument(
        "--flip", action=argparse.BooleanOptionalAction, default=True, help="horizontal flips"
    )
    p.add_argument("--knn-k", type=int, default=200, help="neighbours of the kNN monitor/eval")
    p.add_argument("--knn-temperature", type=float, default=0.07, help="tau of the kNN votes")
    p.add_argument(
        "--monitor-limit",
        type=int,
        default=None,
        help="kNN monitor on the first N test images (default all)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-limit", type=int, default=None, help="use only the first N images")
    p.add_argument(
        "--eval-limit",
        type=int,
        default=None,
        help="final evaluation on the evaluator's CI slice (first N test images against the "
        "first 10,000 train images) instead of the full splits; for smoke runs",
    )
    p.add_argument("--out", required=True, help="output folder (checkpoints, model, entry)")
    p.add_argument("--verbose", default="auto", help="keras fit verbosity (auto, 1, 2)")
    return p.parse_args(argv)


def entry_fields(
    args: argparse.Namespace, model: keras.Model, argv: list[str] | None = None
) -> dict:
    skip = ("out", "verbose", "monitor_limit", "eval_limit")
    recipe_args = {k: v for k, v in vars(args).items() if k not in skip}
    augment = []
    if args.max_shift > 0:
        augment.append(f"random shifts of up to {args.max_shift} px")
    if args.flip:
        augment.append("horizontal flips")
    if args.loss == "nce":
        objective = f"NCE against a memory bank, m={args.negatives}"
    else:
        objective = "exact softmax over a memory bank"
    return {
        "architecture": {"builder": "embedding_model", "kwargs": architecture_kwargs(args)},
        "input": dict(INPUT),
        "outputs": ["embedding"],
        "embedding_size": args.embedding_dim,
        "classes": None,
        "eval": {
            "evaluator": "weighted_knn",
            "dataset": args.dataset,
            "split": "test",
            "kwargs": {"k": args.knn_k, "temperature": args.knn_temperature},
        },
        "recipe": recipe_record("training/instdisc.py", recipe_args, argv),
        "license": "apache-2.0",
        "papers": [
            {"title": t, "url": f"https://arxiv.org/abs/{a}"} for t, a in (INSTDISC, RESNET)
        ],
        "tags": [
            "image-feature-extraction",
            "metric-learning",
            "unsupervised",
            "instance-discrimination",
            "nce" if args.loss == "nce" else "non-parametric-softmax",
            f"resnet{args.depth}",
        ],
        "datasets": [args.dataset],
        "description": f"ResNet-{args.depth} (He et al.'s CIFAR layout, 28x28x1 input), "
        f"{args.embedding_dim}-d L2-normalised embedding, trained without labels on "
        f"{args.dataset} train by non-parametric instance discrimination ({objective}, "
        f"tau={args.temperature}; {args.epochs} epochs; "
        f"{' and '.join(augment) or 'no augmentation'}). Judged by weighted kNN accuracy "
        f"(k={args.knn_k}) of the test images against the train images, beside the same kNN "
        "on raw pixels (pixel_knn_accuracy, pixel_knn1_accuracy).",
        "parameters": int(model.count_params()),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    images, labels = load_split(args.dataset, "train")
    if args.train_limit:
        images, labels = images[: args.train_limit], labels[: args.train_limit]
    x = preprocess(images, INPUT_SPEC)
    ids = np.arange(len(x), dtype="int32")  # the targets: each image is its own class
    test_images, test_labels = load_split(args.dataset, "test")
    if args.monitor_limit:
        test_images, test_labels = (
            test_images[: args.monitor_limit],
            test_labels[: args.monitor_limit],
        )

    embedder = build_embedding_model(
        name=model_key(args).split(".")[0], **architecture_kwargs(args)
    )
    trainer, bank = build_trainer(embedder, args, len(x))
    steps = args.epochs * int(np.ceil(len(x) / args.batch_size))
    lr = (
        keras.optimizers.schedules.CosineDecay(args.lr, steps)
        if args.schedule == "cosine"
        else args.lr
    )
    trainer.compile(
        optimizer=keras.optimizers.SGD(lr, momentum=args.momentum, weight_decay=args.weight_decay),
        loss=training_loss(args, len(x)),
    )
    monitor = WeightedKNNMonitor(
        embedder,
        (preprocess(test_images, INPUT_SPEC), test_labels.astype("int64")),
        (None, labels.astype("int64")),  # bank row i votes with the label of train image i
        memory_bank=bank,
        k=args.knn_k,
        temperature=args.knn_temperature,
        verbose=1,
    )
    callbacks = [
        EpochTimer(),
        monitor,
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.BackupAndRestore(os.path.join(args.out, "backup")),
        BankReport(bank),
        keras.callbacks.CSVLogger(os.path.join(args.out, "history.csv"), append=True),
    ]
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    print(
        f"{model_key(args)}: {len(x)} train images (labels unused), m={args.negatives}, "
        f"{steps} steps, {keras.backend.backend()} backend",
        flush=True,
    )
    start = time.perf_counter()
    history = trainer.fit(
        {"image": x, "id": ids},
        ids,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        callbacks=callbacks,
        verbose=verbose,
    )
    minutes = (time.perf_counter() - start) / 60
    losses = history.history.get("loss", [])
    if losses and not np.isfinite(losses[-1]):
        print(f"training diverged (loss {losses[-1]}); nothing written", file=sys.stderr)
        return 1
    backend = keras.backend.backend()
    print(f"trained in {minutes:.1f} min ({backend} backend); memory bank {describe_bank(bank)}")

    fields = entry_fields(args, embedder, argv)
    key = model_key(args)
    probe = ModelEntry.unpublished(key, {**fields, "metrics": {}})
    metrics = weighted_knn(embedder, probe, limit=args.eval_limit, **fields["eval"]["kwargs"])
    print(f"{key} test: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items())))
    fields["metrics"] = {k: round(float(v), 4) for k, v in metrics.items()}
    if args.eval_limit:
        fields["metrics_split"] = (
            f"{args.dataset} first {args.eval_limit} test images vs first 10,000 train images "
            "(smoke run: re-measure the full splits with `kzoo eval`)"
        )
    else:
        fields["metrics_split"] = (
            f"{args.dataset} test (10,000 images), kNN against train (60,000 images)"
        )
    embedder.save(os.path.join(args.out, "model.keras"))
    with open(os.path.join(args.out, "entry.json"), "w", encoding="utf-8") as f:
        json.dump(fields, f, indent=2, sort_keys=True)
    print(f"wrote {args.out}/model.keras and entry.json (kzoo {kzoo.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
