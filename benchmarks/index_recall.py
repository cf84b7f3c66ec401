"""Recall of approximate faiss indexes against exact search, on real embeddings (`kzoo.index`).

Gallery: the 60,000 Fashion-MNIST training images; queries: the 10,000 test images, embedded
by a zoo model (`--source model`, default `arcface_resnet20.fashion_mnist`, loaded from the
local Hub mirror) or as pixels through a fixed Gaussian random projection (`--source pixels`).
Ground truth is exact cosine search (`Index(backend="exact")`, keras.ops). For each index:
build time, search time per query, recall@1 and recall@k (share of the k items returned that are
as near as the exact k-th neighbour, so that ties between equally distant items do not count as
misses), and precision@1 (the nearest item's label is the query's).

    PYTHONPATH=$PWD KZOO_DATA=/path/to/datasets python benchmarks/index_recall.py \
        --output benchmarks/results/index_recall.md
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

INDEXES = [
    ("Flat", [None]),
    ("HNSW32", ["efSearch=16", "efSearch=64", "efSearch=256"]),
    ("IVF1024,Flat", ["nprobe=1", "nprobe=8", "nprobe=32"]),
]


def embeddings(source: str, model_name: str) -> tuple[np.ndarray, ...]:
    import kzoo

    (x_train, y_train), (x_test, y_test) = kzoo.datasets.load_fashion_mnist()
    if source == "pixels":
        proj = np.random.default_rng(0).normal(size=(784, 128)).astype("float32")
        embed = lambda x: (x.reshape(len(x), -1).astype("float32") / 255.0) @ proj  # noqa: E731
        return embed(x_train), y_train, embed(x_test), y_test
    hub = getattr(kzoo, "hub", None)
    local_hub = getattr(hub, "local_hub", None) or kzoo.zoo.local_hub
    with local_hub():
        model = kzoo.load(model_name, include_head=False, progress=False)
    spec = kzoo.info(model_name)["input"]

    def embed(x: np.ndarray) -> np.ndarray:
        x = x.astype("float32") * float(spec.get("scale", 1 / 255)) + float(spec.get("offset", 0))
        if "mean" in spec:
            x = (x - float(spec["mean"])) / float(spec.get("std", 1.0))
        x = x.reshape((len(x), *spec["shape"]))
        return np.concatenate(
            [model.predict_on_batch(x[i : i + 500]) for i in range(0, len(x), 500)]
        )

    return embed(x_train), y_train, embed(x_test), y_test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=("model", "pixels"), default="model")
    parser.add_argument("--model", default="sphereface_resnet20.fashion_mnist")
    parser.add_argument("--cache", default=None, help="an .npz to keep the embeddings in")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()

    import faiss
    import keras

    from kzoo.index import Index

    t = time.perf_counter()
    if args.cache and os.path.exists(args.cache):
        with np.load(args.cache) as f:
            gallery, y_gallery, queries, y_queries = (f[n] for n in ("g", "yg", "q", "yq"))
    else:
        gallery, y_gallery, queries, y_queries = embeddings(args.source, args.model)
        if args.cache:
            np.savez(args.cache, g=gallery, yg=y_gallery, q=queries, yq=y_queries)
    embed_s = time.perf_counter() - t
    k = args.k

    exact = Index(backend="exact")
    exact.add(gallery, labels=y_gallery)
    t = time.perf_counter()
    truth_d, truth = exact.search(queries, k)
    exact_ms = (time.perf_counter() - t) / len(queries) * 1e3
    rows = [
        (
            "exact (keras.ops)",
            "-",
            0.0,
            exact_ms,
            1.0,
            1.0,
            np.mean(y_gallery[truth[:, 0]] == y_queries),
        )
    ]

    for factory, params in INDEXES:
        index = Index(backend="faiss", faiss_index=factory)
        index.add(gallery, labels=y_gallery)
        t = time.perf_counter()
        index.search(queries[:1], 1)  # trains (IVF/PQ) and builds the faiss index
        build_s = time.perf_counter() - t
        for p in params:
            index.search_params = p
            t = time.perf_counter()
            found_d, found = index.search(queries, k)
            ms = (time.perf_counter() - t) / len(queries) * 1e3
            r1 = np.mean(found_d[:, 0] <= truth_d[:, 0] + 1e-5)
            rk = np.mean(found_d <= truth_d[:, -1:] + 1e-5)
            p1 = np.mean(y_gallery[found[:, 0]] == y_queries)
            rows.append((factory, p or "-", build_s, ms, r1, rk, p1))

    lines = [
        f"# Approximate vs exact search with `kzoo.index` ({time.strftime('%Y-%m-%d')})",
        "",
        f"`PYTHONPATH=$PWD python benchmarks/index_recall.py --source {args.source}"
        + (f" --model {args.model}" if args.source == "model" else "")
        + f" --k {k}`",
        "",
        f"Gallery: {len(gallery):,} Fashion-MNIST training images, queries: {len(queries):,} test "
        f"images, {gallery.shape[1]}-d "
        + (f"embeddings of `{args.model}`" if args.source == "model" else "random projections")
        + f" (embedding took {embed_s:.0f} s), cosine distance. faiss {faiss.__version__}, "
        f"Keras {keras.__version__} ({keras.backend.backend()}), {platform.processor() or 'CPU'}, "
        "2 shared CPU cores under heavy load (timings are indicative only). Recall@k: share of "
        "the k items returned that are as near as the exact k-th neighbour (1e-5 tolerance, so "
        "ties are not misses); precision@1: the nearest item has the query's label.",
        "",
        "| index | search params | build s | search ms/query | recall@1 "
        f"| recall@{k} | precision@1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, p, build_s, ms, r1, rk, p1 in rows:
        lines.append(
            f"| {name} | {p} | {build_s:.1f} | {ms:.3f} | {r1:.4f} | {rk:.4f} | {p1:.4f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
