r"""`kzoo train` step time under each memory allocator, side by side.

TensorFlow's `tf.data` generator sets glibc's `M_TRIM_THRESHOLD` to 128 kB, so glibc hands each
step's large tensor buffers back to the kernel and faults them in again, zeroed, on the next step.
Where page faults are dear (some virtual machines) that can cost more than the convolutions.
This runs the same `kzoo train` run once per allocator (`LD_PRELOAD`; Debian's `libjemalloc2` and
`libtcmalloc-minimal4`), reads the second epoch's wall time from its `history.csv` (the first
includes compilation) and checks that the runs' losses agree (the allocator changes no numerics).

    PYTHONPATH=$PWD python benchmarks/allocator_step_time.py
    PYTHONPATH=$PWD python benchmarks/allocator_step_time.py --steps 30 --allocators glibc tcmalloc

Timings depend on the machine and its load (printed); compare rows of one run only.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import tempfile

LIBS = "/usr/lib/x86_64-linux-gnu"
ALLOCATORS = {
    "glibc": {},
    "jemalloc": {"LD_PRELOAD": f"{LIBS}/libjemalloc.so.2"},
    "jemalloc, no decay": {
        "LD_PRELOAD": f"{LIBS}/libjemalloc.so.2",
        "MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1",
    },
    "tcmalloc": {"LD_PRELOAD": f"{LIBS}/libtcmalloc_minimal.so.4"},
}
CONFIG = "training/configs/softmax_resnet20.fashion_mnist.toml"


def run(allocator: str, steps: int, out: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", **ALLOCATORS[allocator]}
    overrides = [
        f"schedule.steps_per_epoch={steps}",
        "schedule.epochs=2",
        "evaluate.monitor=none",
        "evaluate.limit=500",
    ]
    argv = ["kzoo", "train", CONFIG, "--out", out, "--verbose", "0"]
    for o in overrides:
        argv += ["--set", o]
    subprocess.run(argv, env=env, check=True, capture_output=True)
    with open(os.path.join(out, "history.csv"), encoding="utf-8") as f:
        last = list(csv.DictReader(f))[-1]
    return {"ms": float(last["epoch_minutes"]) * 60e3 / steps, "loss": float(last["loss"])}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--allocators", nargs="*", default=list(ALLOCATORS), choices=list(ALLOCATORS))
    p.add_argument("--steps", type=int, default=40, help="steps per epoch (two epochs)")
    args = p.parse_args()
    for name in args.allocators:
        lib = ALLOCATORS[name].get("LD_PRELOAD")
        if lib and not os.path.exists(lib):
            raise SystemExit(f"{lib} is missing: apt-get install libjemalloc2 libtcmalloc-minimal4")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, name in enumerate(args.allocators):
            results[name] = run(name, args.steps, os.path.join(tmp, str(i)))
    losses = {r["loss"] for r in results.values()}
    if max(losses) - min(losses) > 1e-3 * max(losses):
        raise SystemExit(f"the allocators' runs disagree: {results}")
    base = results[args.allocators[0]]["ms"]
    print(f"load average {os.getloadavg()[0]:.1f}, {CONFIG}, batch 128, {args.steps} steps")
    shown = sorted({f"{loss:.4f}" for loss in losses})
    same = f"{shown[0]} in every run" if len(shown) == 1 else ", ".join(shown)
    print(f"(epoch 2; loss after it {same})\n")
    print(f"| allocator | ms/step | ratio to {args.allocators[0]} |")
    print("|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['ms']:.0f} | {r['ms'] / base:.2f} |")


if __name__ == "__main__":
    main()
