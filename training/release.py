"""Release a trained zoo model: publish, measure, export, and write every figure into the card.

Runs, in order, the commands whose figures the manifest and the model card carry:

1. `kzoo publish KEY --model OUT/model.keras --entry OUT/entry.json --tag TAG [--default]`
2. `kzoo eval KEY --record` (the whole split) and `kzoo eval KEY --limit N --record` (the slice
   CI re-checks), fetching the published files through the Hugging Face client from the local
   mirror (olah serving `hub/`)
3. `kzoo export KEY --quantize {none,fp16,int8} --record` (verified in the LiteRT interpreter on
   the whole test split)
4. `kzoo publish KEY --card-only --tag TAG` (the card now shows the recorded figures)

    python training/release.py sphereface_resnet20.mnist --out outputs/sphereface_resnet20.mnist
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys


def kzoo(*args: str) -> None:
    command = [sys.executable, "-m", "kzoo.cli.main", *args]
    print("$ kzoo " + shlex.join(args), flush=True)
    subprocess.run(command, check=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("key", help="name.tag")
    p.add_argument(
        "--out", required=True, help="the recipe's output folder (model.keras, entry.json)"
    )
    p.add_argument("--tag", default="v1")
    p.add_argument("--default", action="store_true", help="make this the name's default tag")
    p.add_argument("--ci-limit", type=int, default=1000, help="size of the CI slice")
    p.add_argument("--skip-publish", action="store_true", help="already published: steps 2-4")
    p.add_argument("--quantize", nargs="*", default=["none", "fp16", "int8"])
    args = p.parse_args(argv)

    if not args.skip_publish:
        model, entry = os.path.join(args.out, "model.keras"), os.path.join(args.out, "entry.json")
        publish = ["publish", args.key, "--model", model, "--entry", entry, "--tag", args.tag]
        kzoo(*publish, *(["--default"] if args.default else []))
    from kzoo.hub import local_hub

    with local_hub():
        kzoo("eval", args.key, "--record", "--no-progress")
        kzoo("eval", args.key, "--limit", str(args.ci_limit), "--record", "--no-progress")
        for quantize in args.quantize:
            output = os.path.join(args.out, f"{args.key}-{quantize}.tflite")
            kzoo("export", args.key, "--quantize", quantize, "--record", "--output", output)
    kzoo("publish", args.key, "--card-only", "--tag", args.tag)
    return 0


if __name__ == "__main__":
    sys.exit(main())
