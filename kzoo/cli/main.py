"""The `kzoo` command line."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from kzoo.version import __version__

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
    parser.add_argument("--version", action="version", version=f"kzoo {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"kzoo.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs a subcommand; an uncaught error is one line on stderr and exit status 1
    (`KZOO_DEBUG=1` shows the traceback)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"kzoo {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if os.environ.get("KZOO_DEBUG"):
            raise
        print(f"kzoo {args.command}: error: {one_line(err)}", file=sys.stderr)
        return 1


def one_line(err: BaseException) -> str:
    """`Type: message` on one line (the message's lines joined), for the CLI's errors."""
    text = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
