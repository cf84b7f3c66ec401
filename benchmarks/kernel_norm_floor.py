r"""What normalising the class weights costs TensorFlow when nothing fuses its kernels (no XLA).

A margin head divides each logit column by ‖w_j‖. Done exactly, that is a read of the (d, C)
kernel in the forward pass (its column sums of squares) and, in the backward pass, the radial
term of the kernel's gradient, `G - W * t` (one (d, C) multiply and subtract), that a plain Dense
layer does not have. Without XLA each of these is a separate kernel streaming d·C floats through
memory; this times them beside a whole Dense + softmax training step of the same shape, all in
one process (`tf.function`, no jit_compile), so their share of a step reads off one table.

    KERAS_BACKEND=tensorflow PYTHONPATH=$PWD python benchmarks/kernel_norm_floor.py
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--dim", type=int, default=512)
    p.add_argument("--classes", type=int, default=10_000)
    p.add_argument("--repeats", type=int, default=30)
    args = p.parse_args()

    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    b, d, c = args.batch, args.dim, args.classes
    x = tf.constant(rng.normal(size=(b, d)).astype("float32"))
    y = tf.constant(rng.integers(0, c, b).astype("int32"))
    w = tf.Variable(rng.normal(size=(d, c)).astype("float32") * 0.01)
    bias = tf.Variable(np.zeros(c, "float32"))
    g = tf.constant(rng.normal(size=(d, c)).astype("float32"))
    t = tf.constant(rng.normal(size=(1, c)).astype("float32"))

    @tf.function
    def dense_step():
        with tf.GradientTape() as tape:
            logits = tf.matmul(x, w) + bias
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        gw, gb = tape.gradient(loss, [w, bias])
        w.assign_sub(0.01 * gw)
        bias.assign_sub(0.01 * gb)
        return loss

    ops = {
        "Dense + softmax training step (the baseline)": dense_step,
        "forward: column sums of squares of W": tf.function(
            lambda: tf.reduce_sum(tf.square(w), axis=0)
        ),
        "backward: radial term G - W * t": tf.function(lambda: g - w * t),
    }
    for fn in ops.values():
        fn()
    times = {name: [] for name in ops}
    for _ in range(args.repeats):
        for name, fn in ops.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    base = min(times["Dense + softmax training step (the baseline)"])
    print(
        f"B={b}, d={d}, C={c}; TensorFlow {tf.__version__} without XLA; fastest of "
        f"{args.repeats}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print("| op | ms (fastest) | share of the Dense step |\n|---|---|---|")
    for name, ts in times.items():
        print(f"| {name} | {min(ts):.2f} | {min(ts) / base:.2f} |")


if __name__ == "__main__":
    main()
