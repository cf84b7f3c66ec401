"""`kzoo train [CONFIG] [--set key=value ...]`: train a run of the engine (`kzoo.training`)."""

from __future__ import annotations

import argparse
import os
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a backbone x head/loss on a built-in dataset or an image folder",
        description="Train a run described by a TOML/JSON config (training/configs/ holds one "
        "per zoo entry), with key=value overrides; writes model.keras, entry.json, run.json, "
        "history.csv and curves into --out. Rerun the same command to resume.",
    )
    parser.add_argument("config", nargs="?", default=None, help="a .toml or .json config")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set optimizer.lr=0.05 (repeatable)",
    )
    parser.add_argument("--epochs", type=int, default=None, help="= --set schedule.epochs=N")
    parser.add_argument("--seed", type=int, default=None, help="= --set seed=N")
    parser.add_argument(
        "--images", default=None, help="train on an image folder (one sub-folder per class)"
    )
    parser.add_argument("--train-limit", type=int, default=None, help="first N training samples")
    parser.add_argument("--eval-limit", type=int, default=None, help="evaluate on N samples only")
    parser.add_argument("--devices", type=int, default=None, help="accelerators (data parallel)")
    parser.add_argument(
        "--shard-heads", action="store_true", help="shard the head's class weights over devices"
    )
    parser.add_argument("--out", default=None, help="output folder (default runs/NAME.TAG)")
    parser.add_argument(
        "--backup-dir", default=None, help="BackupAndRestore folder (default OUT/backup)"
    )
    parser.add_argument("--verbose", default="auto", help="fit verbosity: auto, 0, 1, 2")
    parser.add_argument(
        "--print-config", action="store_true", help="print the resolved config and exit"
    )
    parser.set_defaults(func=run)


def overrides(args: argparse.Namespace) -> list[str]:
    items = list(args.overrides)
    for flag, key in (
        ("epochs", "schedule.epochs"),
        ("seed", "seed"),
        ("train_limit", "data.train_limit"),
        ("eval_limit", "evaluate.limit"),
        ("devices", "devices"),
    ):
        if getattr(args, flag) is not None:
            items.append(f"{key}={getattr(args, flag)}")
    if args.images:
        items += ["data.dataset=image_folder", f"data.directory={args.images}"]
    if args.shard_heads:
        items.append("shard_heads=true")
    return items


def run(args: argparse.Namespace) -> int:
    import json

    from kzoo.training import TrainingDiverged, load_config, train
    from kzoo.training.entry import command_line

    try:
        config = load_config(args.config, overrides(args))
    except (ValueError, TypeError, OSError) as error:
        print(f"kzoo train: {error}", file=sys.stderr)
        return 2
    if args.print_config:
        print(json.dumps(config.to_dict(), indent=2))
        return 0
    out = args.out or os.path.join("runs", config.name)
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)
    try:
        train(
            config,
            out,
            backup_dir=args.backup_dir,
            verbose=verbose,
            command=command_line(),
            config_path=args.config,
        )
    except NotImplementedError as error:
        print(f"kzoo train: {error}", file=sys.stderr)
        return 2
    except TrainingDiverged as error:
        print(f"kzoo train: {error}", file=sys.stderr)
        return 1
    return 0
