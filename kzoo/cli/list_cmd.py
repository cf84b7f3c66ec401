"""`kzoo list`: the zoo's models with their recorded metrics."""

from __future__ import annotations

import argparse
import fnmatch

from kzoo.cli._zoo_args import add_manifest_option, zoo_errors


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list", help="list the zoo's models (name.tag, metrics, revision)"
    )
    parser.add_argument(
        "pattern", nargs="?", default=None, help="shell wildcard, e.g. '*resnet20*'"
    )
    add_manifest_option(parser)
    parser.set_defaults(func=run)


@zoo_errors
def run(args: argparse.Namespace) -> int:
    from kzoo.zoo.catalogue import get_manifest

    manifest = get_manifest(args.manifest)
    keys = [k for k in manifest.names() if args.pattern is None or fnmatch.fnmatch(k, args.pattern)]
    if not keys:
        print(
            "no models" + (f" match {args.pattern!r}" if args.pattern else " in the manifest yet")
        )
        return 0
    rows = [("model", "default", "emb", "classes", "eval split", "metrics", "revision")]
    for key in keys:
        e = manifest.entries[key]
        metrics = " ".join(f"{m}={v:.4f}" for m, v in sorted(e.metrics.items())) or "-"
        rows.append(
            (
                key,
                "*" if manifest.default_tags.get(e.name) == e.tag else "",
                str(e.embedding_size),
                str(e.classes or "-"),
                f"{e.eval.dataset}/{e.eval.split}",
                metrics,
                (e.revision or "unpublished")[:12],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0
