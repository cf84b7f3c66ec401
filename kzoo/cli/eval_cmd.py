"""`kzoo eval NAME`: re-measure the manifest's metrics on its split, beside the recorded ones."""

from __future__ import annotations

import argparse
import json

from kzoo.cli._zoo_args import add_manifest_option, zoo_errors


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval", help="re-measure a zoo model's metrics and compare to the manifest"
    )
    parser.add_argument("name", help="name (its default tag) or name.tag")
    parser.add_argument(
        "--limit", type=int, default=None, help="evaluate the first N samples only (a CI slice)"
    )
    parser.add_argument(
        "--revision", default=None, help="branch, tag or commit (default: the pinned commit)"
    )
    parser.add_argument(
        "--random-weights", action="store_true", help="evaluate the untrained architecture"
    )
    parser.add_argument("--data-dir", default=None, help="dataset folder (default: $KZOO_DATA)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a metric is off by more than the tolerance",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the measured metrics into the manifest: the entry's `metrics` for the full "
        "split, its `ci_eval` (limit + metrics, what CI re-checks) with --limit",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument(
        "--local-hub",
        action="store_true",
        help="serve the project's hub/ with olah and fetch from it",
    )
    parser.add_argument("--hub-dir", default=None, help="with --local-hub: the bundles' folder")
    add_manifest_option(parser)
    parser.set_defaults(func=run)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4f}"


@zoo_errors
def run(args: argparse.Namespace) -> int:
    import contextlib

    from kzoo.evaluation.evaluate import evaluate
    from kzoo.hub.olah_server import local_hub
    from kzoo.zoo.catalogue import get_manifest

    manifest = get_manifest(args.manifest)
    entry = manifest.resolve(args.name)
    serving = local_hub(args.hub_dir) if args.local_hub else contextlib.nullcontext()
    with serving:
        report = evaluate(
            entry,
            limit=args.limit,
            progress=not args.no_progress,
            revision=args.revision,
            pretrained=not args.random_weights,
            data_dir=args.data_dir,
        )
    if args.record:
        _record(report, args, manifest, entry)
    return _print(report, args)


def _record(report: dict, args: argparse.Namespace, manifest, entry) -> None:
    from kzoo.zoo.entry_fields import CiEval

    measured = {
        r["metric"]: round(float(r["measured"]), 4)
        for r in report["rows"]
        if r["measured"] is not None
    }
    command = f"kzoo eval {entry.key}" + (f" --limit {args.limit}" if args.limit else "")
    if args.limit:
        entry = entry.replace(ci_eval=CiEval(args.limit, measured, command))
    else:
        entry = entry.replace(metrics=measured, metrics_command=command)
    manifest.set_entry(entry.key, entry)
    manifest.save()
    print(f"recorded {sorted(measured)} for {entry.key} in {manifest.path}")


def _print(report: dict, args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        scope = f"first {args.limit} samples of " if args.limit else ""
        print(
            f"{report['key']} on {scope}{report['dataset']}/{report['split']} "
            f"(tolerance {report['tolerance']})"
        )
        compared = report.get("recorded_on") != "full split, not compared"
        recorded = "recorded" if compared else "recorded (full split)"
        print(f"  {'metric':20s} {recorded:>9s} {'measured':>9s} {'delta':>9s}")
        for row in report["rows"]:
            flag = "  <-- differs" if row["ok"] is False else ""
            print(
                f"  {row['metric']:20s} {_fmt(row['recorded']):>9s} {_fmt(row['measured']):>9s} "
                f"{_fmt(row['delta']):>9s}{flag}"
            )
        if not compared:
            print(
                f"  (--limit {args.limit} is not the recorded CI slice: the recorded column is the "
                "full split's, not compared; --check checks the full split or the CI slice)"
            )
    if args.check and any(row["ok"] is False for row in report["rows"]):
        return 1
    return 0
