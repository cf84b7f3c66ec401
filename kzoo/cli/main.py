"""The `kzoo` command line."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module has `add_parser(subparsers)`.
SUBCOMMANDS = (
    "quickstart_cmd",
    "demo",
    "list_cmd",
    "info_cmd",
    "eval_cmd",
    "export_cmd",
    "publish_cmd",
    "hub_cmd",
    "train_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kzoo", description="kzoo: Keras 3 embedding-learning model zoo"
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"kzoo.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
