"""`kzoo quickstart`: load a zoo model through the Hub client, score it, picture its embeddings."""

from __future__ import annotations

import argparse

import numpy as np

from kzoo.cli._zoo_args import add_manifest_option, zoo_errors
from kzoo.cli.eval_cmd import _print


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quickstart",
        help="fetch a zoo model from the local Hub mirror, evaluate it, plot its embedding space",
    )
    parser.add_argument("name", nargs="?", default="sphereface_resnet20", help="zoo model")
    parser.add_argument("--output", default="kzoo_quickstart.png", help="where to save the picture")
    parser.add_argument("--points", type=int, default=2000, help="test images in the picture")
    parser.add_argument("--data-dir", default=None, help="dataset folder (default: $KZOO_DATA)")
    parser.add_argument(
        "--remote",
        action="store_true",
        help="fetch from $HF_ENDPOINT (the Hub) instead of serving the project's hub/ locally",
    )
    add_manifest_option(parser)
    parser.set_defaults(func=run, json=False, check=False, limit=None)


def embedding_picture(
    embeddings: np.ndarray, labels: np.ndarray, class_names, title: str, path: str
):
    """Saves the embeddings' first two principal components, one colour per class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centred = embeddings - embeddings.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    fig, ax = plt.subplots(figsize=(7, 6), dpi=120)
    cmap = plt.get_cmap("tab10")
    for c in np.unique(labels):
        pts = xy[labels == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=4, color=cmap(int(c) % 10), label=class_names[c])
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.legend(markerscale=4, fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@zoo_errors
def run(args: argparse.Namespace) -> int:
    import contextlib

    from kzoo import datasets
    from kzoo.evaluation.data_path import load_split, predict, preprocess
    from kzoo.evaluation.evaluate import evaluate
    from kzoo.hub.olah_server import local_hub
    from kzoo.zoo.catalogue import get_manifest
    from kzoo.zoo.loading import load

    entry = get_manifest(args.manifest).resolve(args.name)
    print(f"{entry.key}: {entry.repo_id} @ {entry.revision[:12]}")
    print(entry.description or "")
    with contextlib.nullcontext() if args.remote else local_hub():
        model = load(entry, progress=False)
        report = evaluate(entry, data_dir=args.data_dir, model=model)
    status = _print(report, args)
    images, labels = load_split(entry.eval.dataset, entry.eval.split, args.data_dir)
    x = preprocess(images[: args.points], entry.input)
    embeddings = predict(model, x, progress=False)[0]
    names = (
        datasets.FASHION_MNIST_CLASSES
        if entry.eval.dataset == "fashion_mnist"
        else [str(i) for i in range(10)]
    )
    title = f"{entry.key}: {entry.embedding_size}-d embeddings of {len(x)} test images (PCA)"
    embedding_picture(embeddings, labels[: args.points], names, title, args.output)
    print(f"saved {args.output}")
    return status
