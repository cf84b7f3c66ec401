"""TF-Addons' TripletSemiHardLoss tutorial, in Keras 3 with kzoo.

Trains the tutorial's small CNN (L2-normalized 256-d embeddings) on Fashion-MNIST with
`kzoo.losses.TripletSemiHardLoss` and an M-per-class sampler, then reports Recall@1 and
MAP@R on the test set and saves a 2-D PCA projection of the test embeddings.

    export KZOO_DATA=/work/shared/datasets
    PYTHONPATH=$PWD python examples/triplet_fashion_mnist.py --epochs 5
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kzoo.losses  # noqa: E402
from kzoo.datasets import (
    FASHION_MNIST_CLASSES,
    MPerClassSampler,
    SampledDataset,
    load_fashion_mnist,
)  # noqa: E402
from kzoo.metrics import map_at_r, recall_at_k  # noqa: E402


def build_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(64, 2, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Dropout(0.3),
            keras.layers.Conv2D(32, 2, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Dropout(0.3),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation=None),
            keras.layers.UnitNormalization(),
        ]
    )


def save_projection(emb: np.ndarray, labels: np.ndarray, path: str, n: int = 2000) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idx = np.random.default_rng(0).choice(len(emb), size=min(n, len(emb)), replace=False)
    x = emb[idx] - emb[idx].mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    xy = x @ vt[:2].T
    fig, ax = plt.subplots(figsize=(7, 6))
    for c in range(10):
        m = labels[idx] == c
        ax.scatter(xy[m, 0], xy[m, 1], s=4, label=FASHION_MNIST_CLASSES[c])
    ax.legend(markerscale=3, fontsize=7)
    ax.set_title("Fashion-MNIST test embeddings (PCA), TripletSemiHardLoss")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--m", type=int, default=8, help="samples per class in a batch")
    p.add_argument(
        "--train-samples", type=int, default=None, help="samples per epoch (default: all 60k)"
    )
    p.add_argument("--margin", type=float, default=1.0)
    p.add_argument("--out", default="examples/output")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    x_train = (x_train[..., None] / 255.0).astype("float32")
    x_test = (x_test[..., None] / 255.0).astype("float32")
    sampler = MPerClassSampler(
        y_train,
        m=args.m,
        batch_size=args.batch_size,
        length_before_new_iter=args.train_samples,
        seed=args.seed,
    )
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=kzoo.losses.TripletSemiHardLoss(margin=args.margin),
    )
    start = time.time()
    model.fit(
        SampledDataset(x_train, y_train.astype("int32"), sampler), epochs=args.epochs, verbose=2
    )
    train_s = time.time() - start
    emb = model.predict(x_test, batch_size=512, verbose=0)
    results = {
        "epochs": args.epochs,
        "samples_per_epoch": len(sampler) * args.batch_size,
        "train_seconds": round(train_s, 1),
        "backend": keras.backend.backend(),
        "recall_at_1": recall_at_k(emb, y_test, k=1),
        "map_at_r": map_at_r(emb, y_test),
    }
    os.makedirs(args.out, exist_ok=True)
    save_projection(emb, y_test, os.path.join(args.out, "fashion_mnist_projection.png"))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
