r"""Step time of instance discrimination: NCE memory bank vs the full non-parametric softmax.

For each bank size n the script builds the same tiny embedding network (a Dense layer to d,
then L2 normalisation) followed by `kzoo.layers.NCEMemoryBank` in `"nce"` mode (m noise
samples per instance, `kzoo.losses.NCELoss`), in `"nce"` mode with `share_negatives=True`
(`nce_shared`: m noise rows per step for the whole batch) and in `"softmax"` mode (n-way
logits, sparse cross-entropy), and times `train_on_batch` (forward, backward, optimizer
update, bank gather/scatter).
The network is deliberately small so the head dominates.

    KERAS_BACKEND=jax PYTHONPATH=$PWD python benchmarks/nce_memory_bank.py
    KERAS_BACKEND=jax PYTHONPATH=$PWD python benchmarks/nce_memory_bank.py \
        --sizes 10000 --batch-size 256

Prints a Markdown table: median (and min) ms per step over `--steps` timed steps after
`--warmup` untimed ones (compilation included in warm-up).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import keras
import numpy as np

from kzoo.layers import NCEMemoryBank
from kzoo.losses import NCELoss


def build(mode: str, n: int, dim: int, negatives: int, input_dim: int) -> keras.Model:
    images = keras.Input((input_dim,))
    ids = keras.Input((), dtype="int32")
    f = keras.layers.UnitNormalization()(keras.layers.Dense(dim)(images))
    shared = mode == "nce_shared"
    layer = NCEMemoryBank(
        n,
        num_negatives=negatives,
        mode="softmax" if mode == "softmax" else "nce",
        seed=0,
        share_negatives=shared,
    )
    out = layer([f, ids])
    model = keras.Model([images, ids], out)
    loss = (
        NCELoss(n)
        if mode != "softmax"
        else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.compile(keras.optimizers.SGD(0.03, momentum=0.9), loss=loss)
    return model


def time_steps(
    model: keras.Model, n: int, batch: int, input_dim: int, warmup: int, steps: int
) -> list[float]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, input_dim)).astype("float32")
    times = []
    for i in range(warmup + steps):
        ids = rng.choice(n, size=batch, replace=False).astype("int32")
        start = time.perf_counter()
        loss = model.train_on_batch((x, ids), ids)
        float(np.asarray(loss))
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--negatives", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--input-dim", type=int, default=256)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["nce", "nce_shared", "softmax"],
        choices=["nce", "nce_shared", "softmax"],
    )
    args = parser.parse_args()

    print(
        f"backend={keras.backend.backend()} keras={keras.__version__} machine={platform.machine()} "
        f"d={args.dim} m={args.negatives} batch={args.batch_size} steps={args.steps}"
    )
    header = "| n | " + " | ".join(f"{m} ms/step (median, min)" for m in args.modes) + " |"
    print(header)
    print("|" + "---|" * (1 + len(args.modes)))
    for n in args.sizes:
        cells = []
        for mode in args.modes:
            keras.backend.clear_session()
            model = None
            try:
                model = build(mode, n, args.dim, args.negatives, args.input_dim)
                times = time_steps(
                    model, n, args.batch_size, args.input_dim, args.warmup, args.steps
                )
                cells.append(f"{1e3 * statistics.median(times):.1f} ({1e3 * min(times):.1f})")
            except Exception as error:  # noqa: BLE001 - report OOM and the like in the table
                cells.append(f"failed: {type(error).__name__}")
            del model
        print(f"| {n:,} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
