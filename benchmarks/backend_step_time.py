r"""Training step time of the zoo's architectures under each Keras backend, side by side.

Runs itself once per backend (a fresh process each: Keras fixes its backend at import) on the
same random batches and prints ms per step and the ratio to the TensorFlow run, so a recipe can
pick the faster backend for the machine. Each row: `fit` on `--steps` timed batches after a
warm-up epoch that includes compilation.

    PYTHONPATH=$PWD python benchmarks/backend_step_time.py
    PYTHONPATH=$PWD python benchmarks/backend_step_time.py --models resnet20 --backends jax

Timings depend on the CPU and its load (printed); compare rows of one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

MODELS = {
    "resnet20": {"head": "softmax"},
    "resnet20_tanhconv": {
        "head": "softmax",
        "conv": {"magnitude": "tanh", "angular": "cosine", "learnable_rho": True},
    },
    "lsoftmax_cnn": {"head": "softmax", "backbone": "lsoftmax_cnn", "depth": None},
    # the engine's `augment.shift = 2` in front (`kzoo train` on MNIST), as kzoo builds it ...
    "lsoftmax_cnn_shift2": {"head": "softmax", "backbone": "lsoftmax_cnn", "shift": 2},
    # ... and with Keras' `supports_jit=False` left on its affine layers (kzoo before 2026-12-04:
    # the whole JAX train step ran op by op)
    "lsoftmax_cnn_shift2_keras_jit_flag": {
        "head": "softmax",
        "backbone": "lsoftmax_cnn",
        "shift": 2,
        "keras_jit_flag": True,
    },
}


def measure(model_name: str, batch_size: int, steps: int) -> float:
    import keras
    import numpy as np

    from kzoo.models import build_margin_classifier
    from kzoo.training import AugmentConfig, build_augmentation

    kwargs = {k: v for k, v in MODELS[model_name].items() if v is not None}
    shift, keras_jit_flag = kwargs.pop("shift", 0), kwargs.pop("keras_jit_flag", False)
    model = build_margin_classifier(10, **kwargs)
    image = keras.Input(model.input_shape[1:], name="image")
    label = keras.Input((), dtype="int32", name="label")
    features = image
    if shift:
        augmentation = build_augmentation(AugmentConfig(shift=shift), (28, 28))
        if keras_jit_flag:
            augmentation.get_layer("random_shift").supports_jit = False
        features = augmentation(image)
    head = model.get_layer("head")
    trainer = keras.Model([image, label], head([model.get_layer("backbone")(features), label]))
    trainer.compile(
        optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(batch_size * steps, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, len(x)).astype("int32")
    warm = slice(0, batch_size * 3)
    trainer.fit({"image": x[warm], "label": y[warm]}, y[warm], batch_size=batch_size, verbose=0)
    start = time.perf_counter()
    trainer.fit({"image": x, "label": y}, y, batch_size=batch_size, epochs=1, verbose=0)
    return (time.perf_counter() - start) / steps * 1000, bool(trainer.jit_compile)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--backends", nargs="*", default=["tensorflow", "jax"])
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        rows = {m: measure(m, args.batch_size, args.steps) for m in args.models}
        print(json.dumps(rows))
        return
    results = {}
    for backend in args.backends:
        argv = [sys.executable, __file__, "--child", "--models", *args.models]
        argv += ["--batch-size", str(args.batch_size), "--steps", str(args.steps)]
        env = {**os.environ, "KERAS_BACKEND": backend}
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
        results[backend] = json.loads(out.strip().splitlines()[-1])
    base = args.backends[0]
    print(f"load average {os.getloadavg()[0]:.1f}, batch {args.batch_size}, {args.steps} steps")
    print(
        "| model | " + " | ".join(f"{b} ms/step" for b in args.backends) + f" | ratio to {base} |"
    )
    print("|---|" + "---|" * (len(args.backends) + 1))
    for m in args.models:
        times = [results[b][m][0] for b in args.backends]
        ratios = ", ".join(
            f"{b} {t / times[0]:.2f}" for b, t in zip(args.backends, times, strict=True)
        )
        jit = [
            f"{t:.0f}{'' if results[b][m][1] else ' (no jit)'}"
            for b, t in zip(args.backends, times, strict=True)
        ]
        print(f"| {m} | " + " | ".join(jit) + f" | {ratios} |")


if __name__ == "__main__":
    main()
