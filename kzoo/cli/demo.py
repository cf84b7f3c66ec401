"""`kzoo demo`: dataset statistics and a few real training steps of a tiny model."""

from __future__ import annotations

import argparse
import time

import numpy as np


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="print dataset statistics and train a tiny model briefly"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with mnist/, fashion_mnist/, ... (default: $KZOO_DATA)",
    )
    parser.add_argument("--steps", type=int, default=200, help="training steps of the tiny model")
    parser.set_defaults(func=run)


def _stats(name: str, loader, data_dir) -> tuple:
    (x_train, y_train), (x_test, y_test) = loader(data_dir)
    x = x_train.astype(np.float64) / 255.0
    counts = np.bincount(y_train)
    print(
        f"{name:14s} train {x_train.shape} test {x_test.shape}  pixel mean {x.mean():.4f} "
        f"std {x.std():.4f}  per class {counts.min()}..{counts.max()}  "
        f"first labels {y_train[:5].tolist()}"
    )
    return (x_train, y_train), (x_test, y_test)


def run(args: argparse.Namespace) -> int:
    import keras

    from kzoo import datasets

    _stats("MNIST", datasets.load_mnist, args.data_dir)
    (x_train, y_train), (x_test, y_test) = _stats(
        "Fashion-MNIST", datasets.load_fashion_mnist, args.data_dir
    )
    faces, people = datasets.load_att_faces(args.data_dir)
    print(f"{'AT&T faces':14s} {faces.shape} {len(np.unique(people))} people")
    omniglot = datasets.load_omniglot(image_size=28, data_dir=args.data_dir)
    per_char = np.bincount(omniglot.labels)
    print(
        f"{'Omniglot':14s} {omniglot.images.shape} {len(omniglot.alphabet_names)} alphabets, "
        f"{len(omniglot.character_names)} characters, "
        f"{per_char.min()}..{per_char.max()} drawings each"
    )

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    x_train, x_test = x_train.astype("float32") / 255.0, x_test.astype("float32") / 255.0
    before = model.evaluate(x_test, y_test, verbose=0)[1]
    start = time.perf_counter()
    model.fit(
        x_train[: args.steps * 64], y_train[: args.steps * 64], batch_size=64, epochs=1, verbose=2
    )
    seconds = time.perf_counter() - start
    after = model.evaluate(x_test, y_test, verbose=0)[1]
    print(
        f"Tiny MLP on Fashion-MNIST ({keras.backend.backend()} backend): "
        f"test accuracy {before:.4f} -> "
        f"{after:.4f} after {args.steps} steps of batch 64 ({seconds:.1f} s)"
    )
    return 0
