"""`kzoo info NAME`: a model's manifest entry."""

from __future__ import annotations

import argparse
import json

from kzoo.cli._zoo_args import add_manifest_option, zoo_errors


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("info", help="show a zoo model's manifest entry")
    parser.add_argument("name", help="name (its default tag) or name.tag")
    parser.add_argument("--json", action="store_true", help="print the entry as JSON")
    add_manifest_option(parser)
    parser.set_defaults(func=run)


@zoo_errors
def run(args: argparse.Namespace) -> int:
    from kzoo.zoo.catalogue import get_manifest, info

    manifest = get_manifest(args.manifest)
    entry = manifest.resolve(args.name)
    if args.json:
        print(json.dumps(info(entry.key, manifest=manifest), indent=2))
        return 0
    default = manifest.default_tags.get(entry.name) == entry.tag
    print(f"{entry.key}{'  (default tag)' if default else ''}")
    print(f"  repository   {entry.repo_id} @ {entry.revision or 'unpublished'}")
    print(f"  input        {tuple(entry.input.shape)} {entry.input.dtype}")
    print(f"  preprocess   {preprocessing(entry.input)}")
    print(
        f"  outputs      {', '.join(entry.outputs)} (embedding {entry.embedding_size}-d"
        + (f", {entry.classes} classes)" if entry.classes else ")")
    )
    arch = entry.architecture
    print(f"  architecture {arch.builder} {json.dumps(arch.kwargs)}")
    ev = entry.eval
    print(f"  evaluation   {ev.evaluator} on {ev.dataset}/{ev.split}")
    for metric, value in sorted(entry.metrics.items()):
        print(f"    {metric:20s} {value:.4f}")
    if entry.recipe.command:
        print(f"  recipe       {entry.recipe.command}")
    for name, spec in sorted(entry.files.items()):
        print(f"  file         {name:18s} {spec.size:>10d} B  sha256 {spec.sha256}")
    return 0


def preprocessing(spec) -> str:
    """How raw uint8 pixels become the model's input, in one line."""
    text = f"x = pixels * {spec.scale:.8g} + {spec.offset:.8g}"
    if spec.mean is not None or spec.std is not None:
        text += f", then (x - {spec.mean or 0:.8g}) / {spec.std or 1:.8g}"
    shape = tuple(spec.shape)
    layout = (
        f"{shape[-1]} channel{'s' if shape[-1] != 1 else ''} last (HWC"
        + (", RGB)" if shape[-1] == 3 else ")")
        if len(shape) == 3
        else "a flat vector"
    )
    return f"{text}; shape {shape}, {spec.dtype}, {layout}"
