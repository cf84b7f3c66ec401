"""Run by tests/training/test_distribution.py in a fresh JAX process (XLA_FLAGS set before import).

python tests/training/distribution_worker.py compare OUT.json
python tests/training/distribution_worker.py process PORT PROCESS_ID OUT.json
"""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kzoo import heads  # noqa: E402
from kzoo.training import distribution  # noqa: E402

BATCH, DIM, CLASSES, LR = 32, 16, 64, 1.0


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, DIM)).astype("float32")
    y = rng.integers(0, CLASSES, BATCH).astype("int32")
    return x, y


def build(sample_rate=1.0):
    keras.utils.set_random_seed(0)
    inputs, labels = keras.Input((DIM,), name="x"), keras.Input((), dtype="int32", name="y")
    embeddings = keras.layers.Dense(8, name="embed")(inputs)
    head = heads.ArcFace(CLASSES, scale=16.0, margin=0.3, sample_rate=sample_rate, name="head")
    model = keras.Model([inputs, labels], head([embeddings, labels]))
    model.compile(
        optimizer=keras.optimizers.SGD(LR),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def step(model, weights, x, y):
    model.set_weights(weights)
    loss = float(model.train_on_batch([x, y], y))
    gradients = [(a - b) / LR for a, b in zip(weights, model.get_weights(), strict=True)]
    return loss, gradients


def compare(out):
    x, y = data()
    reference = build()
    weights = reference.get_weights()
    loss, grads = step(reference, weights, x, y)
    result = {"devices": len(keras.distribution.list_devices()), "loss": loss}
    for mode in ("data", "sharded", "pattern"):
        keras.backend.clear_session()
        builder = build if mode == "sharded" else None
        distribution.setup(8, shard_heads=mode != "data", model=builder)
        model = build()
        kernel = model.get_layer("head").kernel.value
        shard = kernel.addressable_shards[0].data.shape
        mode_loss, mode_grads = step(model, weights, x, y)
        diff = max(float(np.max(np.abs(a - b))) for a, b in zip(grads, mode_grads, strict=True))
        result[mode] = {"loss": mode_loss, "grad_diff": diff, "kernel_shard": list(shard)}
        if mode == "sharded":
            # one class per shard of 8: every positive is kept, column 0 is the margined target
            y_spread = (np.arange(BATCH) % 8 * 8 + 3).astype("int32")
            model.set_weights(weights)
            full = model([x, y_spread])
            sampled = build(sample_rate=0.3)
            sampled.set_weights(weights)
            logits = np.asarray(sampled([x, y_spread]))
            target = np.asarray(full)[np.arange(BATCH), y_spread]
            result["sampled_shape"] = list(logits.shape)
            result["sampled_target_diff"] = float(np.max(np.abs(logits[:, 0] - target)))
        keras.distribution.set_distribution(None)
        keras.backend.clear_session()
    with open(out, "w") as f:
        json.dump(result, f)


def process(port, process_id, out):
    distribution.initialize(f"127.0.0.1:{port}", 2, process_id)
    devices = keras.distribution.list_devices()
    distribution.setup()
    x, y = data()
    model = build()
    weights = model.get_weights()
    half = slice(process_id * BATCH // 2, (process_id + 1) * BATCH // 2)
    loss, grads = step(model, weights, x[half], y[half])
    with open(out, "w") as f:
        json.dump({"devices": len(devices), "loss": loss, "grads": [g.tolist() for g in grads]}, f)


def reference(out):
    x, y = data()
    model = build()
    loss, grads = step(model, model.get_weights(), x, y)
    with open(out, "w") as f:
        json.dump({"loss": loss, "grads": [g.tolist() for g in grads]}, f)


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "compare":
        compare(args[0])
    elif command == "process":
        process(int(args[0]), int(args[1]), args[2])
    else:
        reference(args[0])
