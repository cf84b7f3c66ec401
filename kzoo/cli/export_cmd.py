"""`kzoo export NAME --format tflite [--quantize none|fp16|int8] [--output PATH]`."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from kzoo.cli._zoo_args import add_manifest_option


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
    parser.add_argument(
        "--num-test",
        type=int,
        default=None,
        help="test images to verify on (default 2000; the whole test split with --record)",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the verified figures into the manifest entry's `exports` (and so the card)",
    )
    add_manifest_option(parser)
    parser.set_defaults(func=run)


def _argv(args: argparse.Namespace) -> list[str]:
    argv = ["export", args.name, "--format", args.format, "--quantize", args.quantize]
    for flag, value in (
        ("--output", args.output),
        ("--json", args.json),
        ("--num-test", args.num_test),
        ("--manifest", getattr(args, "manifest", None)),
    ):
        if value:
            argv += [flag, str(value)]
    return argv + [
        f for f, on in (("--no-verify", args.no_verify), ("--record", args.record)) if on
    ]


def run(args: argparse.Namespace) -> int:
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow" or (
        "keras" in sys.modules and sys.modules["keras"].backend.backend() != "tensorflow"
    ):
        # Conversion needs the TensorFlow backend; weights load there from any backend.
        env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
        return subprocess.call([sys.executable, "-m", "kzoo.cli.main", *_argv(args)], env=env)
    from kzoo.evaluation.data_path import load_data
    from kzoo.export.export_verified import export_verified
    from kzoo.zoo.catalogue import get_manifest
    from kzoo.zoo.loading import load

    if args.record and args.no_verify:
        print(
            "kzoo export: error: --record needs the verification (drop --no-verify)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    manifest = get_manifest(getattr(args, "manifest", None))
    entry = manifest.resolve(args.name)
    model = load(entry, progress=False)
    needs_data = not args.no_verify or args.quantize == "int8"
    (x_train, _), (x_test, y_test) = load_data(entry) if needs_data else ((None, None),) * 2
    result = export_verified(
        model,
        args.output or f"{args.name.replace('/', '_')}-{args.quantize}.tflite",
        quantize=args.quantize,
        x_test=None if args.no_verify else x_test,
        y_test=None if args.no_verify else y_test,
        x_calibration=x_train,
        num_test=args.num_test or (None if args.record else 2000),
        name=args.name,
    )
    text = json.dumps(result, indent=2, sort_keys=True)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(text)
    if args.record:
        _record(result, args, manifest, entry)
    return 0


def _record(result: dict, args: argparse.Namespace, manifest, entry) -> None:
    from kzoo.zoo.export_record import export_record

    command = f"kzoo export {entry.key} --quantize {args.quantize} --record"
    if args.num_test:
        command += f" --num-test {args.num_test}"
    record = export_record(result, entry.metrics, command)
    exports = {**(entry.exports or {}), f"tflite-{args.quantize}": record}
    manifest.set_entry(entry.key, entry.replace(exports=exports))
    manifest.save()
    print(f"recorded exports['tflite-{args.quantize}'] for {entry.key} in {manifest.path}")
