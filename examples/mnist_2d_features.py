"""2-D MNIST features learned with softmax vs each margin head (the classic L-Softmax figure).

Trains the same small network with a 2-unit embedding layer once per head, then plots the
test-set embeddings (one panel per head, colored by digit) with the class-weight directions.

    PYTHONPATH=$PWD KZOO_DATA=/work/shared/datasets \
        python examples/mnist_2d_features.py --output mnist_2d_features.png

The default run is short for a CPU (a 12k-sample subset, 4 epochs, an MLP backbone); use
`--train-samples 60000 --epochs 20 --cnn` for the paper-like picture. L-Softmax/SphereFace use
a faster λ schedule than the papers (γ = 0.5) so that λ actually anneals within a short run.
In two dimensions a cosine head now and then ends with nearly every digit in one narrow arc
(test accuracy 0.17–0.30 in 2 of 80 CosFace/ArcFace runs of the test's setting here, 0.48
or more otherwise; 1 of 18 panels in two default runs): train again with another `--seed`.
"""

from __future__ import annotations

import argparse
import time

import keras
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from kzoo import heads  # noqa: E402
from kzoo.callbacks import MarginLambdaScheduler  # noqa: E402
from kzoo.datasets import MNIST_MEAN, MNIST_STD, load_mnist  # noqa: E402


def make_heads() -> dict[str, keras.layers.Layer | None]:
    fast = {"lambda_gamma": 0.5, "lambda_power": 1.0}
    return {
        "softmax": None,
        "L-Softmax (m=2)": heads.LSoftmax(10, margin=2, lambda_min=1.0, **fast),
        "SphereFace (m=4)": heads.SphereFace(10, margin=4, **fast),
        "NormFace (s=16)": heads.NormFace(10, scale=16.0),
        "L2-softmax (α=16)": heads.L2Softmax(10, alpha=16.0),
        "CoCo (α=16)": heads.CoCo(10, alpha=16.0),
        "CosFace (s=16, m=0.2)": heads.CosFace(10, scale=16.0, margin=0.2),
        "ArcFace (s=16, m=0.2)": heads.ArcFace(10, scale=16.0, margin=0.2),
        "Combined (1, 0.1, 0.1)": heads.CombinedMargin(10, scale=16.0, m1=1, m2=0.1, m3=0.1),
    }


def backbone(cnn: bool) -> keras.Sequential:
    if cnn:
        layers = [
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
        ]
    else:
        layers = [
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(128, activation="relu"),
        ]
    return keras.Sequential([*layers, keras.layers.Dense(2, name="features")])


def train_one(head, data, args) -> tuple[np.ndarray, np.ndarray | None, float]:
    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(args.seed)
    images, labels = keras.Input((28, 28)), keras.Input((), dtype="int32")
    net = backbone(args.cnn)
    features = net(images)
    callbacks = []
    if head is None:
        classifier = keras.layers.Dense(10)
        model = keras.Model(images, classifier(features))
        inference = model
        fit_x = x_train
    else:
        model = keras.Model([images, labels], head([features, labels]))
        inference = keras.Model(images, head(features))
        fit_x = [x_train, y_train]
        if hasattr(head, "iteration"):
            callbacks.append(MarginLambdaScheduler())
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(
        fit_x,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        verbose=0,
        callbacks=callbacks,
    )
    accuracy = float(np.mean(np.argmax(inference.predict(x_test, verbose=0), 1) == y_test))
    embedded = keras.Model(images, features).predict(x_test, verbose=0)
    kernel = classifier.kernel if head is None else head.kernel
    return embedded, np.asarray(keras.ops.convert_to_numpy(kernel)), accuracy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="path of the PNG figure")
    parser.add_argument("--train-samples", type=int, default=12000)
    parser.add_argument("--test-samples", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--cnn", action="store_true", help="small CNN backbone instead of an MLP")
    parser.add_argument("--only", nargs="*", help="panel names to train (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = load_mnist()
    rng = np.random.default_rng(args.seed)
    train_idx = rng.permutation(len(x_train))[: args.train_samples]
    test_idx = rng.permutation(len(x_test))[: args.test_samples]

    def prep(x):
        return ((x.astype("float32") / 255.0) - MNIST_MEAN) / MNIST_STD

    data = (
        (prep(x_train[train_idx]), y_train[train_idx].astype("int32")),
        (prep(x_test[test_idx]), y_test[test_idx].astype("int32")),
    )
    panels = make_heads()
    if args.only:
        panels = {k: v for k, v in panels.items() if any(o.lower() in k.lower() for o in args.only)}
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4.2 * rows), squeeze=False)
    colors = plt.get_cmap("tab10")(np.arange(10))
    for ax, (name, head) in zip(axes.flat, panels.items(), strict=False):
        start = time.perf_counter()
        embedded, kernel, accuracy = train_one(head, data, args)
        print(f"{name:24s} test accuracy {accuracy:.4f}  ({time.perf_counter() - start:.0f} s)")
        ax.scatter(embedded[:, 0], embedded[:, 1], s=2, c=colors[data[1][1]], alpha=0.6)
        radius = np.percentile(np.linalg.norm(embedded, axis=1), 95)
        for j in range(10):
            direction = kernel[:, j] / (np.linalg.norm(kernel[:, j]) + 1e-12)
            ax.plot([0, radius * direction[0]], [0, radius * direction[1]], color=colors[j], lw=1.5)
        ax.set_title(f"{name}\ntest acc {accuracy:.3f}", fontsize=10)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    handles = [
        plt.Line2D([], [], ls="", marker="o", color=colors[d], label=str(d)) for d in range(10)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=10, frameon=False)
    fig.suptitle(
        f"MNIST 2-D features: {args.train_samples} train samples, {args.epochs} epochs, "
        f"{'CNN' if args.cnn else 'MLP'} ({keras.backend.backend()}); lines = class weights"
    )
    fig.tight_layout(rect=(0, 0.03, 1, 0.96))
    fig.savefig(args.output, dpi=110)
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
