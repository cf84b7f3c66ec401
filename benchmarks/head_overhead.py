r"""Training-step cost of the margin heads relative to a plain Dense + softmax classifier.

One step = forward, softmax cross-entropy, backward and an SGD update of a model whose only
layer is the head, on `(batch, dim)` embeddings and `classes` classes (the physical floor of
every head is the Dense model's matmul). Each backend runs in its own process; within it the
models are timed round-robin (`--rounds` rounds of `--steps` steps each; median and fastest
round per model), so the ratios of one run share the machine's load; on a loaded machine the
fastest round is the better estimate of a step's own cost. `onehot_arcface` is the head as it
was before issue 18 (normalised kernel copy, B×C one-hot), kept as the before/after reference.

    PYTHONPATH=$PWD python benchmarks/head_overhead.py
    PYTHONPATH=$PWD python benchmarks/head_overhead.py --backends jax --classes 100000

Timings depend on the CPU and its load (printed); compare the ratios of one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HEADS = ["dense_softmax", "arcface", "cosface", "sphereface", "normface", "onehot_arcface"]


def _onehot_arcface(num_classes):
    import keras
    from keras import ops

    from kzoo.heads import ArcFace
    from kzoo.ops.l2_normalize import l2_normalize

    class OneHotArcFace(ArcFace):
        def call(self, inputs, training=None):
            embeddings, labels = inputs
            embeddings = ops.cast(embeddings, "float32")
            kernel = ops.cast(self.kernel, "float32")
            cosine = ops.matmul(l2_normalize(embeddings, -1), l2_normalize(kernel, axis=0))
            cosine = ops.clip(cosine, -1.0, 1.0)
            one_hot = ops.one_hot(ops.cast(labels, "int32"), self.num_classes, dtype="float32")
            target = ops.sum(cosine * one_hot, axis=-1, keepdims=True)
            margined = self.margin_cosine(target, training=training)
            return (cosine + one_hot * (margined - target)) * self.scale

    del keras
    return OneHotArcFace(num_classes, scale=64.0, margin=0.5)


def build(name: str, dim: int, classes: int, sample_rate: float = 1.0, jit_compile="auto"):
    import keras

    from kzoo import heads

    embeddings = keras.Input((dim,), name="embeddings")
    labels = keras.Input((), dtype="int32", name="labels")
    if name == "dense_softmax":
        outputs = keras.layers.Dense(classes)(embeddings)
    elif name == "onehot_arcface":
        outputs = _onehot_arcface(classes)([embeddings, labels])
    else:
        cls = {
            "arcface": heads.ArcFace,
            "cosface": heads.CosFace,
            "sphereface": heads.SphereFace,
            "normface": heads.NormFace,
        }[name]
        kwargs = {"sample_rate": sample_rate} if sample_rate < 1 else {}
        outputs = cls(classes, **kwargs)([embeddings, labels])
    model = keras.Model([embeddings, labels], outputs)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if sample_rate < 1 and name != "dense_softmax":
        from kzoo.losses import PartialFCLoss

        loss = PartialFCLoss()
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss, jit_compile=jit_compile)
    return model


def child(args) -> dict[str, float]:
    import numpy as np

    rng = np.random.default_rng(0)
    n = args.batch * args.steps
    x = rng.normal(size=(n, args.dim)).astype("float32")
    y = rng.integers(0, args.classes, n).astype("int32")
    jit = {"auto": "auto", "on": True, "off": False}[args.jit_compile]
    models = {name: build(name, args.dim, args.classes, jit_compile=jit) for name in args.heads}
    for model in models.values():
        model.fit(
            [x[: 2 * args.batch], y[: 2 * args.batch]],
            y[: 2 * args.batch],
            batch_size=args.batch,
            verbose=0,
        )
    times = {name: [] for name in models}
    for _ in range(args.rounds):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit([x, y], y, batch_size=args.batch, verbose=0)
            times[name].append((time.perf_counter() - start) / args.steps * 1000)
    return {name: [statistics.median(t), min(t)] for name, t in times.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--backends", nargs="*", default=["tensorflow", "jax"])
    p.add_argument("--heads", nargs="*", default=HEADS, choices=HEADS)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--classes", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument(
        "--jit-compile",
        choices=["auto", "on", "off"],
        default="auto",
        help="Keras' jit_compile (auto: XLA on JAX; on TensorFlow only off-CPU)",
    )
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    results = {}
    load = [os.getloadavg()[0]]
    for backend in args.backends:
        argv = [sys.executable, __file__, "--child", "--heads", *args.heads]
        for flag in ("batch", "dim", "classes", "steps", "rounds", "jit_compile"):
            argv += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
        env = {**os.environ, "KERAS_BACKEND": backend}
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
        results[backend] = json.loads(out.strip().splitlines()[-1])
        load.append(os.getloadavg()[0])
    print(
        f"B={args.batch}, d={args.dim}, C={args.classes}; median of {args.rounds} rounds x "
        f"{args.steps} steps; jit_compile {args.jit_compile}; load average "
        f"{min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs"
    )
    print(
        "| head | "
        + " | ".join(f"{b} ms/step (median, min) | {b} ratio (median, min)" for b in args.backends)
        + " |"
    )
    print("|---|" + "---|---|" * len(args.backends))
    for name in args.heads:
        cells = []
        for b in args.backends:
            (median, fastest), base = results[b][name], results[b].get("dense_softmax")
            cells.append(f"{median:.1f}, {fastest:.1f}")
            cells.append(f"{median / base[0]:.2f}x, {fastest / base[1]:.2f}x" if base else "-")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
