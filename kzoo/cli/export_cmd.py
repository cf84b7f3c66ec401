"""`kzoo export NAME --format tflite [--quantize none|fp16|int8] [--output PATH]`."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export", help="export a zoo model to LiteRT (.tflite) and verify it"
    )
    parser.add_argument("name", help="zoo model name (see `kzoo list`)")
    parser.add_argument("--format", default="tflite", choices=["tflite"], help="export format")
    parser.add_argument("--quantize", default="none", choices=["none", "fp16", "int8"])
    parser.add_argument(
        "--output", default=None, help="destination file (default NAME-QUANTIZE.tflite)"
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the LiteRT-vs-Keras check")
    parser.add_argument("--json", default=None, help="also write the export/verify report here")
    parser.set_defaults(func=run)


def _argv(args: argparse.Namespace) -> list[str]:
    argv = ["export", args.name, "--format", args.format, "--quantize", args.quantize]
    for flag, value in (("--output", args.output), ("--json", args.json)):
        if value:
            argv += [flag, value]
    return argv + (["--no-verify"] if args.no_verify else [])


def run(args: argparse.Namespace) -> int:
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow" or (
        "keras" in sys.modules and sys.modules["keras"].backend.backend() != "tensorflow"
    ):
        # Conversion needs the TensorFlow backend; weights load there from any backend.
        env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
        return subprocess.call([sys.executable, "-m", "kzoo.cli.main", *_argv(args)], env=env)
    from kzoo.export.zoo_export import export_zoo_model

    result = export_zoo_model(
        args.name, args.output, quantize=args.quantize, verify=not args.no_verify
    )
    text = json.dumps(result, indent=2, sort_keys=True)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 0
