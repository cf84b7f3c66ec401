r"""Train an ArcFace head over many classes on one device, N devices or several hosts (JAX).

Synthetic data (one Gaussian cluster per class, embedded by a small MLP) so the script runs
anywhere; swap `embedding_net` and the arrays for a real backbone and dataset.

    # one GPU (or CPU)
    KERAS_BACKEND=jax python examples/train_at_scale.py --classes 100000
    # 8 GPUs of one host: data parallel, then the head's class axis split over the 8
    KERAS_BACKEND=jax python examples/train_at_scale.py --devices 8
    KERAS_BACKEND=jax python examples/train_at_scale.py --devices 8 --shard-heads --sample-rate 0.1
    # several hosts: the same command on each, its own --process-id
    KERAS_BACKEND=jax python examples/train_at_scale.py --shard-heads \
        --coordinator 10.0.0.1:1234 --num-processes 2 --process-id 0
    # try it on a CPU: 8 virtual devices
    XLA_FLAGS=--xla_force_host_platform_device_count=8 KERAS_BACKEND=jax \
        python examples/train_at_scale.py --devices 8 --shard-heads --classes 4000
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

import kzoo
from kzoo.training import distribution


def build(classes: int, dim: int, sample_rate: float) -> keras.Model:
    inputs = keras.Input((32,), name="x")
    labels = keras.Input((), dtype="int32", name="label")
    hidden = keras.layers.Dense(128, activation="relu", name="hidden")(inputs)
    embeddings = keras.layers.Dense(dim, name="embedding")(hidden)
    head = kzoo.heads.ArcFace(classes, scale=32.0, margin=0.3, sample_rate=sample_rate, name="head")
    return keras.Model([inputs, labels], head([embeddings, labels]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--classes", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--devices", type=int, default=None, help="default: all (of all hosts)")
    p.add_argument("--shard-heads", action="store_true")
    p.add_argument("--sample-rate", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=256, help="global batch")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--coordinator", default=None, help="host:port of process 0")
    p.add_argument("--num-processes", type=int, default=None)
    p.add_argument("--process-id", type=int, default=None)
    args = p.parse_args()
    if args.coordinator:
        distribution.initialize(args.coordinator, args.num_processes, args.process_id)
    processes = args.num_processes or 1

    def model_fn():
        return build(args.classes, args.dim, args.sample_rate)

    distribution.setup(args.devices, shard_heads=args.shard_heads, model=model_fn)
    model = model_fn()
    loss = (
        kzoo.losses.PartialFCLoss()
        if args.sample_rate < 1
        else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss=loss)

    rng = np.random.default_rng(args.process_id or 0)
    centers = np.random.default_rng(0).normal(size=(args.classes, 32)).astype("float32")
    local = args.batch_size // processes * args.steps
    y = rng.integers(0, args.classes, local).astype("int32")
    x = centers[y] + 0.3 * rng.normal(size=(local, 32)).astype("float32")
    history = model.fit([x, y], y, batch_size=args.batch_size // processes, verbose=0)
    kernel = model.get_layer("head").kernel.value
    shard = getattr(kernel, "addressable_shards", None)
    print(
        f"devices {len(keras.distribution.list_devices())}, head kernel {tuple(kernel.shape)}, "
        f"per-device shard {tuple(shard[0].data.shape) if shard else tuple(kernel.shape)}, "
        f"loss {history.history['loss'][-1]:.4f}"
    )


if __name__ == "__main__":
    main()
