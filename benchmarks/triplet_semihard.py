"""Semi-hard triplet loss + gradient: kzoo (jitted JAX, compiled TF) vs PyTorch Metric Learning.

kzoo: `TripletSemiHardLoss` (TF-Addons semantics: one semi-hard negative per positive pair).
PML: `TripletMarginLoss` + `TripletMarginMiner(type_of_triplets="semihard")` (all semi-hard
triplets). Both compute the loss and its gradient w.r.t. the embeddings, on the same CPU,
each backend in its own process, with 4 samples per class. Median of `--repeats` timed
calls after warm-up/compilation.

    PYTHONPATH=$PWD python benchmarks/triplet_semihard.py --batch-sizes 256 1024
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

DIM = 128


def _inputs(batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(batch, DIM)).astype("float32")
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    return np.repeat(np.arange(batch // 4), 4).astype("int32"), e


def _time(fn, repeats: int) -> float:
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def bench_kzoo(backend: str, batch: int, repeats: int) -> float:
    os.environ["KERAS_BACKEND"] = backend
    from kzoo.losses import TripletSemiHardLoss

    labels, emb = _inputs(batch)
    loss = TripletSemiHardLoss(margin=0.2, distance_metric="L2")
    if backend == "jax":
        import jax

        step = jax.jit(jax.value_and_grad(lambda e, y: loss(y, e)))
        return _time(lambda: jax.block_until_ready(step(emb, labels)), repeats)
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def step(e, y):
        with tf.GradientTape() as tape:
            tape.watch(e)
            value = loss(y, e)
        return value, tape.gradient(value, e)

    e, y = tf.constant(emb), tf.constant(labels)
    return _time(lambda: [t.numpy() for t in step(e, y)], repeats)


def bench_pml(batch: int, repeats: int) -> float:
    import torch
    from pytorch_metric_learning import losses, miners

    labels, emb = _inputs(batch)
    loss_fn = losses.TripletMarginLoss(margin=0.2)
    miner = miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard")
    y = torch.tensor(labels, dtype=torch.long)

    def step():
        e = torch.tensor(emb, requires_grad=True)
        value = loss_fn(e, y, miner(e, y))
        value.backward()
        return e.grad

    return _time(step, repeats)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[256, 1024, 2048, 4096])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument(
        "--pml-max-batch",
        type=int,
        default=2048,
        help="largest B given to PML (its semi-hard miner materializes B^3 triplet masks)",
    )
    p.add_argument("--worker", choices=["jax", "tensorflow", "pml"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        for b in args.batch_sizes:
            t = (
                bench_pml(b, args.repeats)
                if args.worker == "pml"
                else bench_kzoo(args.worker, b, args.repeats)
            )
            print(json.dumps({"batch": b, "seconds": t}), flush=True)
        return
    results: dict[str, dict[int, float]] = {}
    for worker in ("pml", "jax", "tensorflow"):
        sizes = [b for b in args.batch_sizes if worker != "pml" or b <= args.pml_max_batch]
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            worker,
            "--repeats",
            str(args.repeats),
            "--batch-sizes",
            *map(str, sizes),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results[worker] = {
            r["batch"]: r["seconds"] for r in map(json.loads, out.strip().splitlines())
        }
    print(
        f"semi-hard triplet loss + gradient, d={DIM}, 4 per class, "
        f"median of {args.repeats} (CPU, {os.cpu_count()} cores)"
    )
    print("| B | PML (ms) | kzoo JAX jit (ms) | ratio JAX/PML | kzoo TF XLA (ms) | ratio TF/PML |")
    print("|---|---|---|---|---|---|")
    for b in args.batch_sizes:
        pml, jx, tf = results["pml"].get(b), results["jax"][b], results["tensorflow"][b]
        if pml is None:
            print(f"| {b} | not run | {jx * 1e3:.2f} | — | {tf * 1e3:.2f} | — |")
            continue
        print(
            f"| {b} | {pml * 1e3:.2f} | {jx * 1e3:.2f} | {jx / pml:.3f} "
            f"| {tf * 1e3:.2f} | {tf / pml:.3f} |"
        )


if __name__ == "__main__":
    main()
