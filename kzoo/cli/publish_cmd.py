"""`kzoo publish NAME`: write the repo (Keras layout + card), commit it to the mirror, pin it."""

from __future__ import annotations

import argparse
import json
import sys

from kzoo.cli._zoo_args import add_manifest_option, zoo_errors


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "publish", help="publish a trained model into the local mirror (and the Hub)"
    )
    parser.add_argument("name", help="name.tag of the manifest entry")
    parser.add_argument(
        "--model", default=None, help="the trained model (.keras file or Keras folder)"
    )
    parser.add_argument(
        "--card-only",
        action="store_true",
        help="re-render the published model card from the manifest (after eval/export --record)",
    )
    parser.add_argument(
        "--entry", default=None, help="JSON file of manifest fields to set (metrics, recipe, ...)"
    )
    parser.add_argument("--tag", default=None, help="git tag to point at the commit (e.g. v1)")
    parser.add_argument("--default", action="store_true", help="make this tag the name's default")
    parser.add_argument(
        "--hub-dir", default=None, help="folder of repository bundles (default: the project's hub/)"
    )
    parser.add_argument("--out", default=None, help="also keep the repository folder here")
    parser.add_argument(
        "--hub", action="store_true", help="also upload to the Hugging Face Hub (token + network)"
    )
    add_manifest_option(parser)
    parser.set_defaults(func=run)


@zoo_errors
def run(args: argparse.Namespace) -> int:
    if args.card_only:
        from kzoo.publishing.publish import refresh_card

        entry = refresh_card(args.name, manifest=args.manifest, hub_dir=args.hub_dir, tag=args.tag)
        print(f"updated the card of {entry.key}: {entry.repo_id} @ {entry.revision}")
        return 0
    if not args.model:
        print("kzoo publish: error: --model is required (or --card-only)", file=sys.stderr)
        raise SystemExit(2)
    import keras

    import kzoo  # noqa: F401 - registers kzoo's layers for safe-mode loading
    from kzoo.publishing.publish import publish

    fields = None
    if args.entry:
        with open(args.entry, encoding="utf-8") as f:
            fields = json.load(f)
    model = keras.saving.load_model(args.model, compile=False, safe_mode=True)
    entry = publish(
        model,
        args.name,
        fields,
        manifest=args.manifest,
        hub_dir=args.hub_dir,
        tag=args.tag,
        default=args.default,
        out_dir=args.out,
        hub=args.hub,
    )
    print(
        f"published {entry.key}: {entry.repo_id} @ {entry.revision}"
        + (f" (tag {args.tag})" if args.tag else "")
    )
    if entry.hub_revision:
        print(f"uploaded to the Hub: {entry.repo_id} @ {entry.hub_revision}")
    return 0
