"""Options shared by the zoo subcommands; ZooError, HubError → a message and exit status 2."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable


def add_manifest_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--manifest",
        default=None,
        help="weights_manifest.json to use (default: $KZOO_MANIFEST or the project's)",
    )


def zoo_errors(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Prints a ZooError's or HubError's message (no traceback) and returns exit status 2."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        from kzoo.hub.errors import HubError
        from kzoo.zoo.errors import ZooError

        try:
            return run(args)
        except (ZooError, HubError) as err:
            print(f"kzoo {args.command}: {type(err).__name__}: {err}", file=sys.stderr)
            return 2

    return wrapper
