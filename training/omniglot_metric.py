"""Recipe: Conv-4 embeddings on Omniglot by triplet, margin (Sampling Matters) or ArcFace loss.

Trains a `conv4` backbone (4 x [3x3 conv 64, BN, ReLU, 2x2 pool] + Dense 128, L2-normalised) on
the Omniglot small background sets at 28x28 (`kzoo.datasets.load_omniglot`), then measures it with
the zoo's `omniglot_one_shot` evaluator (the code `kzoo eval` runs: 5- and 20-way one-shot
accuracy across and within alphabets, Recall@1 and MAP@R on the Balinese and Korean alphabets)
and writes `model.keras` (the inference model) and `entry.json` (the manifest fields, metrics
included) into `--out`.

  --split heldout   train on the 6 other alphabets (178 characters): the figures are open-set,
                    on alphabets never seen in training (key `<name>.omniglot_openset`)
  --split all       train on all 8 alphabets (242 characters), for the published weights (key
                    `<name>.omniglot`): its figures are on drawings it was trained on

Methods (the same P x K batches, P=32 characters x K=4 drawings, Adam with cosine decay, the same
augmentation for all three):
  triplet      `TripletSemiHardLoss` (FaceNet's semi-hard mining within the batch), squared L2
               on the unit sphere, margin 0.2; output `embedding`
  margin_dws   `MarginLoss` (alpha 0.2) with `DistanceWeightedMiner` (cutoff 0.5, nonzero loss
               cutoff 1.4) and learnable beta = beta0 + beta_class (`MarginBeta`, init 1.2,
               nu = 0), as in Wu et al.; beta is training-only; output `embedding`
  arcface      `ArcFace` head over the training characters, s = 16, m = 0.3 (see --arcface-*);
               outputs `[embedding, logits]`, the evaluator uses the embedding only

Augmentation: each drawing is shifted by a random whole number of pixels in [-2, 2] along each
axis (zero fill), drawn per batch from a generator seeded by (seed, epoch, batch).
Checkpoints every epoch (`keras.callbacks.BackupAndRestore`: rerun the same command to resume).

Results of the six runs: training/results/omniglot_metric.md.

    KERAS_BACKEND=tensorflow python training/omniglot_metric.py --method margin_dws \\
        --split heldout --out outputs/margin_dws_convnet.omniglot_openset
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
from kzoo.datasets import MPerClassSampler, SampledDataset, load_omniglot
from kzoo.datasets.omniglot import HELDOUT_ALPHABETS, alphabet_mask, load_evaluation_drawings
from kzoo.evaluation.data_path import predict, preprocess
from kzoo.evaluation.omniglot_one_shot import omniglot_one_shot, one_shot_accuracy
from kzoo.losses import MarginBeta, MarginLoss, TripletHardLoss, TripletSemiHardLoss
from kzoo.models import build_embedding_model, build_margin_classifier, training_model
from kzoo.zoo.entry_fields import InputSpec
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.recipe import recipe_record

METHODS = ("triplet", "margin_dws", "arcface")
NAMES = {m: f"{m}_convnet" for m in METHODS}
INPUT = {"shape": [28, 28, 1], "dtype": "float32", "scale": 1 / 255, "offset": 0.0}
PAPERS = {
    "triplet": ("FaceNet: A Unified Embedding for Face Recognition and Clustering", "1503.03832"),
    "triplet_hard": ("In Defense of the Triplet Loss for Person Re-Identification", "1703.07737"),
    "margin_dws": ("Sampling Matters in Deep Embedding Learning", "1706.07567"),
    "arcface": ("ArcFace: Additive Angular Margin Loss for Deep Face Recognition", "1801.07698"),
    "conv4": ("Matching Networks for One Shot Learning", "1606.04080"),
}
OMNIGLOT = {
    "title": "Human-level concept learning through probabilistic program induction (Omniglot)",
    "url": "https://doi.org/10.1126/science.aab3050",
}


def model_key(args: argparse.Namespace) -> str:
    return NAMES[args.method] + (".omniglot_openset" if args.split == "heldout" else ".omniglot")


def training_data(split: str, data_dir: str | None = None):
    """`(images uint8, character labels 0..C-1, character names, alphabet names)` to train on."""
    data = load_omniglot("both", image_size=28, data_dir=data_dir)
    keep = np.ones(len(data.labels), bool)
    if split == "heldout":
        keep = ~alphabet_mask(data.alphabet_names, data.alphabets, HELDOUT_ALPHABETS)
    characters, labels = np.unique(data.labels[keep], return_inverse=True)
    alphabets = sorted({data.alphabet_names[a] for a in np.unique(data.alphabets[keep])})
    names = [data.character_names[c] for c in characters]
    return data.images[keep], labels.astype("int32"), names, alphabets


class ShiftedBatches(SampledDataset):
    """P x K batches of `SampledDataset`, each drawing shifted by up to `shift` pixels (zero fill);
    `({"image": x, "label": y}, y)` when `with_labels` (models whose inputs include the label)."""

    def __init__(self, x, y, sampler, shift: int = 2, seed: int = 0, with_labels: bool = False):
        super().__init__(x, y, sampler)
        self.shift, self.seed, self.with_labels, self.epoch = shift, seed, with_labels, 0

    def __getitem__(self, index: int):
        x, y = super().__getitem__(index)
        if self.shift:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            s, (n, h, w) = self.shift, x.shape[:3]
            padded = np.pad(x, ((0, 0), (s, s), (s, s), (0, 0)))
            dy, dx = rng.integers(0, 2 * s + 1, size=(2, n))
            x = np.stack([padded[i, dy[i] : dy[i] + h, dx[i] : dx[i] + w] for i in range(n)])
        return ({"image": x, "label": y}, y) if self.with_labels else (x, y)

    def on_epoch_end(self) -> None:
        super().on_epoch_end()
        self.epoch += 1


class OneShotMonitor(keras.callbacks.Callback):
    """Adds `eval_one_shot_20way` (over `episodes` episodes) to each epoch's logs: 20-way one-shot
    accuracy on the evaluation alphabets, for the training curve (never used to pick a model)."""

    def __init__(self, model: keras.Model, x, labels, drawers, episodes: int = 200) -> None:
        super().__init__()
        self.inference, self.x, self.labels, self.drawers = model, x, labels, drawers
        self.episodes = episodes

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        embedding = predict(self.inference, self.x, progress=False)[0]
        acc = one_shot_accuracy(embedding, self.labels, self.drawers, 20, self.episodes)
        if logs is not None:
            logs["eval_one_shot_20way"] = acc
        print(f"\nepoch {epoch + 1}: eval 20-way one-shot {acc:.4f} ({self.episodes} episodes)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--split", default="heldout", choices=["heldout", "all"])
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--classes-per-batch", type=int, default=32, help="P")
    p.add_argument("--per-class", type=int, default=4, help="K: drawings per character in a batch")
    p.add_argument("--lr", type=float, default=1e-3, help="peak Adam learning rate (cosine decay)")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="decoupled (AdamW-style)")
    p.add_argument("--embedding-dim", type=int, default=128)
    p.add_argument("--width", type=int, default=64, help="filters of each conv4 block")
    p.add_argument("--shift", type=int, default=2, help="max random shift in pixels (0: none)")
    p.add_argument("--triplet-mining", default="semihard", choices=["semihard", "hard"])
    p.add_argument("--triplet-margin", type=float, default=0.2)
    p.add_argument("--margin", type=float, default=0.2, help="margin loss alpha")
    p.add_argument("--beta", type=float, default=1.2, help="margin loss initial beta")
    p.add_argument("--nu", type=float, default=0.0, help="margin loss beta regulariser")
    p.add_argument("--arcface-scale", type=float, default=16.0)
    p.add_argument("--arcface-margin", type=float, default=0.3, help="radians")
    p.add_argument("--episodes", type=int, default=1000, help="evaluation episodes per setting")
    p.add_argument("--ci-limit", type=int, default=100, help="episodes of the CI slice")
    p.add_argument("--monitor-episodes", type=int, default=200, help="0: no per-epoch monitor")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="default: one pass")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder (checkpoints, model, entry)")
    p.add_argument("--verbose", default="auto", help="keras fit verbosity (auto, 1, 2)")
    return p.parse_args(argv)


def build(args: argparse.Namespace, num_classes: int):
    """`(inference model, model to fit, loss, architecture)`."""
    name = NAMES[args.method]
    common = {
        "backbone": "conv4",
        "input_shape": INPUT["shape"],
        "embedding_dim": args.embedding_dim,
        "backbone_kwargs": {"width": args.width},
    }
    if args.method == "arcface":
        head = {"scale": args.arcface_scale, "margin": args.arcface_margin}
        kwargs = {"num_classes": num_classes, "head": "arcface", "head_kwargs": head, **common}
        model = build_margin_classifier(**kwargs, name=name)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        return (
            model,
            training_model(model),
            loss,
            {"builder": "margin_classifier", "kwargs": kwargs},
        )
    model = build_embedding_model(**common, name=name)
    arch = {"builder": "embedding_model", "kwargs": common}
    if args.method == "triplet":
        cls = TripletSemiHardLoss if args.triplet_mining == "semihard" else TripletHardLoss
        return model, model, cls(margin=args.triplet_margin, distance="squared_l2"), arch
    image = keras.Input(tuple(INPUT["shape"]), name="image")
    label = keras.Input((), dtype="int32", name="label")
    beta = MarginBeta(beta=args.beta, num_classes=num_classes, name="beta")(label)
    out = keras.layers.Concatenate(name="embedding_and_beta")([model(image), beta])
    trainer = keras.Model({"image": image, "label": label}, out, name=f"{name}_train")
    loss = MarginLoss(
        margin=args.margin,
        nu=args.nu,
        learn_beta=True,
        sampling="distance_weighted",
        cutoff=0.5,
        nonzero_loss_cutoff=1.4,
    )
    return model, trainer, loss, arch


def learned_beta(trainer: keras.Model) -> dict:
    """The margin loss's learned boundary after training: beta0 and the per-character betas'
    spread (empty for the other methods)."""
    try:
        layer = trainer.get_layer("beta")
    except ValueError:
        return {}
    beta0 = float(keras.ops.convert_to_numpy(layer.beta_global))
    per_class = beta0 + keras.ops.convert_to_numpy(layer.beta_class)
    print(
        f"learned beta: beta0 {beta0:.4f}, per character {per_class.mean():.4f} ± "
        f"{per_class.std():.4f} (min {per_class.min():.4f}, max {per_class.max():.4f})"
    )
    return {
        "beta0": beta0,
        "beta_per_character": {
            "mean": float(per_class.mean()),
            "std": float(per_class.std()),
            "min": float(per_class.min()),
            "max": float(per_class.max()),
        },
    }


def method_text(args: argparse.Namespace) -> str:
    if args.method == "triplet":
        mining = "semi-hard" if args.triplet_mining == "semihard" else "batch-hard"
        return f"triplet loss (margin {args.triplet_margin}, squared L2, {mining} mining)"
    if args.method == "margin_dws":
        return (
            f"margin loss (alpha {args.margin}, learnable per-character beta from {args.beta}, "
            f"nu {args.nu}) with distance-weighted sampling (cutoff 0.5, nonzero loss cutoff 1.4)"
        )
    return f"an ArcFace head (s {args.arcface_scale}, m {args.arcface_margin} rad)"


def entry_fields(args, model, arch, num_classes, names, alphabets, argv=None) -> dict:
    heldout = args.split == "heldout"
    arcface = args.method == "arcface"
    trained_on = (
        f"{len(alphabets)} alphabets ({', '.join(alphabets)}; {len(names)} characters, "
        f"{20 * len(names)} drawings)"
    )
    evaluated = (
        f"Omniglot small background sets, alphabets {' + '.join(HELDOUT_ALPHABETS)} (64 "
        "characters, 1,280 drawings, 28x28); one-shot accuracy over "
        f"{args.episodes} seeded episodes per setting (support and query by two different "
        "drawers), Recall@1 and MAP@R leave-one-out by cosine over the 1,280 drawings"
    )
    if heldout:
        evaluated += ": alphabets held out from training (open-set)"
    else:
        evaluated += (
            ": this model was trained on all 8 alphabets, these drawings included, so the "
            "figures are on seen data and do not measure generalisation to new alphabets; "
            f"{NAMES[args.method]}.omniglot_openset gives the open-set figures"
        )
    paper = PAPERS["triplet_hard" if args.triplet_mining == "hard" else "triplet"]
    paper = paper if args.method == "triplet" else PAPERS[args.method]
    skip = ("out", "verbose", "monitor_episodes")
    return {
        "architecture": arch,
        "input": INPUT,
        "outputs": ["embedding", "logits"] if arcface else ["embedding"],
        "embedding_size": args.embedding_dim,
        "classes": num_classes if arcface else None,
        "eval": {
            "evaluator": "omniglot_one_shot",
            "dataset": "omniglot",
            "split": "heldout_alphabets",
            "kwargs": {
                "alphabets": list(HELDOUT_ALPHABETS),
                "episodes": args.episodes,
                "ways": [5, 20],
                "seed": 0,
            },
        },
        "recipe": recipe_record(
            "training/omniglot_metric.py",
            {k: v for k, v in vars(args).items() if k not in skip},
            argv,
        ),
        "license": "apache-2.0",
        "papers": [
            {"title": t, "url": f"https://arxiv.org/abs/{a}"} for t, a in (paper, PAPERS["conv4"])
        ]
        + [OMNIGLOT],
        "tags": ["metric-learning", "few-shot", "one-shot", "omniglot", args.method, "conv4"]
        + (["open-set"] if heldout else []),
        "datasets": ["omniglot"],
        "description": f"Conv-4 (4 x [3x3 conv {args.width}, BN, ReLU, 2x2 max-pool] + Dense "
        f"{args.embedding_dim}), L2-normalised {args.embedding_dim}-d embedding for 28x28 "
        f"Omniglot drawings (ink 255 on 0, scaled to [0, 1]), trained with {method_text(args)} "
        f"on {trained_on}, {args.epochs} epochs of P x K = {args.classes_per_batch} x "
        f"{args.per_class} batches, random shifts of up to {args.shift} px"
        + (
            f"; logits over the {num_classes} training characters (load_omniglot's sorted "
            "character order restricted to those alphabets)"
            if arcface
            else ""
        )
        + ". Evaluated on the "
        + ("held-out " if heldout else "")
        + f"alphabets {' and '.join(HELDOUT_ALPHABETS)}"
        + ("." if heldout else ", which it saw in training."),
        "parameters": int(model.count_params()),
        "metrics_split": evaluated,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    images, labels, names, alphabets = training_data(args.split)
    x = preprocess(images, InputSpec.from_dict(INPUT))
    num_classes = len(names)
    print(f"training on {len(x)} drawings of {num_classes} characters ({', '.join(alphabets)})")
    model, trainer, loss, arch = build(args, num_classes)
    sampler = MPerClassSampler(
        labels, m=args.per_class, batch_size=args.classes_per_batch * args.per_class, seed=args.seed
    )
    batches = ShiftedBatches(
        x, labels, sampler, args.shift, args.seed, with_labels=args.method != "triplet"
    )
    steps_per_epoch = args.steps_per_epoch or len(batches)
    schedule = keras.optimizers.schedules.CosineDecay(args.lr, args.epochs * steps_per_epoch)
    optimizer = keras.optimizers.Adam(schedule, weight_decay=args.weight_decay)
    metrics = ["accuracy"] if args.method == "arcface" else None
    trainer.compile(optimizer=optimizer, loss=loss, metrics=metrics)

    callbacks = [keras.callbacks.TerminateOnNaN()]
    if args.monitor_episodes:
        ev_images, ev_labels, ev_drawers, _ = load_evaluation_drawings()
        ev_x = preprocess(ev_images, InputSpec.from_dict(INPUT))
        callbacks.append(OneShotMonitor(model, ev_x, ev_labels, ev_drawers, args.monitor_episodes))
    callbacks += [
        keras.callbacks.BackupAndRestore(os.path.join(args.out, "backup")),
        keras.callbacks.CSVLogger(os.path.join(args.out, "history.csv"), append=True),
    ]
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    start = time.perf_counter()
    history = trainer.fit(
        batches,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        callbacks=callbacks,
        verbose=verbose,
    )
    minutes = (time.perf_counter() - start) / 60
    last = history.history.get("loss", [float("nan")])[-1]
    if not np.isfinite(last):
        print(f"training diverged (loss {last}); nothing written", file=sys.stderr)
        return 1
    print(f"trained in {minutes:.1f} min ({keras.backend.backend()} backend)")

    key = model_key(args)
    fields = entry_fields(args, model, arch, num_classes, names, alphabets, argv)
    probe = ModelEntry.unpublished(key, {**fields, "metrics": {}})
    kwargs = fields["eval"]["kwargs"]
    measured = omniglot_one_shot(model, probe, progress=False, **kwargs)
    sliced = omniglot_one_shot(model, probe, limit=args.ci_limit, progress=False, **kwargs)
    print(f"{key}: " + ", ".join(f"{k} {v:.4f}" for k, v in sorted(measured.items())))
    fields["metrics"] = {k: round(float(v), 4) for k, v in measured.items()}
    fields["metrics_command"] = f"kzoo eval {key}"
    fields["ci_eval"] = {
        "limit": args.ci_limit,
        "metrics": {k: round(float(v), 4) for k, v in sliced.items()},
        "command": f"kzoo eval {key} --limit {args.ci_limit}",
    }
    model.save(os.path.join(args.out, "model.keras"))
    with open(os.path.join(args.out, "run.json"), "w", encoding="utf-8") as f:
        run = {"key": key, "backend": keras.backend.backend(), "training_minutes": minutes}
        run.update(learned_beta(trainer))
        json.dump({**run, "kzoo": kzoo.__version__, "argv": sys.argv[1:]}, f, indent=2)
    with open(os.path.join(args.out, "entry.json"), "w", encoding="utf-8") as f:
        json.dump(fields, f, indent=2, sort_keys=True)
    print(f"wrote {args.out}/model.keras and entry.json (kzoo {kzoo.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
