r"""Million-class margin heads: step time and memory per device vs classes, devices, sample rate.

For each class count C and `sample_rate` (1 = full ArcFace, 0.1 = Partial FC) one jitted SGD
training step of an ArcFace head on `(batch, dim)` embeddings is compiled and timed under JAX,
on 1 device and on N virtual CPU devices (`XLA_FLAGS=--xla_force_host_platform_device_count=N`)
with the head's class axis sharded over them (`kzoo.training.distribution`, `shard_heads=True`).
Memory per device is XLA's own account of the compiled step (arguments + outputs + temporaries
- aliased buffers, per device for a sharded step): what a real accelerator would have to hold.
Virtual devices share this host's cores, so their step times show overheads, not speed-ups.
A projection to more classes extrapolates the measured per-device figures linearly in C (a
projection, not a measurement).

    PYTHONPATH=$PWD python benchmarks/scale_heads.py
    PYTHONPATH=$PWD python benchmarks/scale_heads.py --classes 10000 100000 --devices 1 8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

GIB = 1024**3


def child(args) -> list[dict]:
    import jax
    import keras
    import numpy as np

    from kzoo import heads, losses
    from kzoo.training import distribution

    rows = []
    for classes in args.classes:
        for rate in args.rates:

            def build(classes=classes, rate=rate):
                embeddings = keras.Input((args.dim,), name="embeddings")
                labels = keras.Input((), dtype="int32", name="labels")
                head = heads.ArcFace(classes, sample_rate=rate, name="head")
                return keras.Model([embeddings, labels], head([embeddings, labels]))

            keras.backend.clear_session()
            keras.distribution.set_distribution(None)
            if args.device_count > 1:
                distribution.setup(args.device_count, shard_heads=True, model=build)
            model = build()
            loss_fn = (
                losses.PartialFCLoss()
                if rate < 1
                else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
            )
            trainable = [v.value for v in model.trainable_variables]
            non_trainable = [v.value for v in model.non_trainable_variables]

            def loss_of(tv, ntv, x, y, model=model, loss_fn=loss_fn):
                out, ntv = model.stateless_call(tv, ntv, [x, y], training=True)
                return loss_fn(y, out), ntv

            @jax.jit
            def step(tv, ntv, x, y, loss_of=loss_of):
                (loss, ntv), grads = jax.value_and_grad(loss_of, has_aux=True)(tv, ntv, x, y)
                return loss, [t - 0.01 * g for t, g in zip(tv, grads, strict=True)], ntv

            rng = np.random.default_rng(0)
            x = rng.normal(size=(args.batch, args.dim)).astype("float32")
            y = rng.integers(0, classes, args.batch).astype("int32")
            current = keras.distribution.distribution()
            if current is not None:
                x = jax.device_put(x, current.get_data_layout(x.shape).backend_layout)
                y = jax.device_put(y, current.get_data_layout(y.shape).backend_layout)
            compiled = step.lower(trainable, non_trainable, x, y).compile()
            memory = compiled.memory_analysis()
            per_device = (
                memory.argument_size_in_bytes
                + memory.output_size_in_bytes
                + memory.temp_size_in_bytes
                - memory.alias_size_in_bytes
            )
            loss, trainable, non_trainable = compiled(trainable, non_trainable, x, y)
            times = []
            for _ in range(args.steps):
                start = time.perf_counter()
                loss, trainable, non_trainable = compiled(trainable, non_trainable, x, y)
                jax.block_until_ready(loss)
                times.append((time.perf_counter() - start) * 1000)
            rows.append(
                {
                    "classes": classes,
                    "rate": rate,
                    "ms": statistics.median(times),
                    "gib_per_device": per_device / GIB,
                    "kernel_gib_per_device": args.dim * classes * 4 / args.device_count / GIB,
                    "loss": float(loss),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--classes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--rates", type=float, nargs="*", default=[1.0, 0.1])
    p.add_argument("--devices", type=int, nargs="*", default=[1, 8])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--project-classes", type=int, default=10_000_000)
    p.add_argument("--child", type=int, dest="device_count", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.device_count:
        print(json.dumps(child(args)))
        return
    results = {}
    load = [os.getloadavg()[0]]
    for devices in args.devices:
        argv = [sys.executable, __file__, "--child", str(devices), "--classes"]
        argv += [str(c) for c in args.classes] + ["--rates"] + [str(r) for r in args.rates]
        argv += ["--batch", str(args.batch), "--dim", str(args.dim), "--steps", str(args.steps)]
        env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
        results[devices] = json.loads(out.strip().splitlines()[-1])
        load.append(os.getloadavg()[0])
    print(
        f"JAX, ArcFace, B={args.batch}, d={args.dim}, SGD step, median of {args.steps} steps; "
        f"load average {min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs"
    )
    print("| C | sample_rate | devices | ms/step | GiB/device (XLA) | kernel GiB/device |")
    print("|---|---|---|---|---|---|")
    for devices, rows in results.items():
        for r in rows:
            print(
                f"| {r['classes']:,} | {r['rate']} | {devices} | {r['ms']:.1f} | "
                f"{r['gib_per_device']:.3f} | {r['kernel_gib_per_device']:.3f} |"
            )
    top = max(results)
    print(
        f"\nProjection (not measured) to C={args.project_classes:,} on {top} GPUs, same B and d: "
        f"per-device memory fitted linearly in C through the two largest measured C on {top} "
        f"devices; CPU ms/step of one device's share of the classes (C/{top}) fitted through "
        "the two largest 1-device rows (CPU speed, not GPU speed)."
    )
    print("| sample_rate | GiB/device (projected) | CPU ms/step per device share (projected) |")
    print("|---|---|---|")
    for rate in args.rates:
        gib = _project(results[top], rate, "gib_per_device", args.project_classes)
        ms = _project(results.get(1, []), rate, "ms", args.project_classes / top)
        print(f"| {rate} | {gib:.2f} | {'-' if ms is None else f'{ms:.0f}'} |")


def _project(rows: list[dict], rate: float, key: str, classes: float) -> float | None:
    points = sorted((r["classes"], r[key]) for r in rows if r["rate"] == rate)[-2:]
    if len(points) < 2:
        return None
    (c0, v0), (c1, v1) = points
    return v0 + (v1 - v0) * (classes - c0) / (c1 - c0)


if __name__ == "__main__":
    main()
