"""The `weighted_knn` evaluator: embeddings judged by a weighted kNN vote against a labelled split.

For models trained without labels (instance discrimination, Wu et al. 2018): the reference split
(Fashion-MNIST train by default) is embedded with the model and its labels are used only as the
kNN votes; each image of the entry's split (test) is classified by its k most cosine-similar
reference embeddings, each voting with weight exp(s/τ). The same vote on raw pixel vectors is
the baseline the embedding has to beat; it is measured beside it (`pixel_knn_accuracy`, and
`pixel_knn1_accuracy` with k = 1), so it is re-measured by every `kzoo eval` and CI run.

Registered on `import kzoo` (through `kzoo.evaluation`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from kzoo.evaluation.data_path import load_split, named_outputs
from kzoo.metrics.retrieval import map_at_r, recall_at_k
from kzoo.metrics.weighted_knn import weighted_knn_accuracy
from kzoo.utils.validation import check_int
from kzoo.zoo.model_entry import ModelEntry
from kzoo.zoo.registry import register_evaluator

CI_REFERENCE_SIZE = 10_000
"""With `limit`, the reference set is the first this many images of the reference split."""


def pixel_vectors(images: np.ndarray) -> np.ndarray:
    """Raw pixel vectors: `images / 255`, flattened to `(num, height * width * channels)`.

    The kNN normalises them to unit length, so the vote compares images by the cosine of
    their raw intensities (no mean subtraction, no model preprocessing).
    """
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype("float32") / 255.0


@register_evaluator("weighted_knn")
def weighted_knn(
    model: Any,
    entry: ModelEntry,
    *,
    limit: int | None = None,
    progress: bool = True,
    data_dir: str | os.PathLike | None = None,
    k: int = 200,
    temperature: float = 0.07,
    reference_split: str = "train",
    reference_limit: int = CI_REFERENCE_SIZE,
    pixel_baseline: bool = True,
    batch_size: int = 256,
) -> dict[str, float]:
    """Weighted-kNN accuracy of the embeddings, with retrieval metrics and the raw-pixel baseline.

    Queries are the images of `entry.eval.split` (test), references those of
    `reference_split` (train), both from `entry.eval.dataset`. Returns:

    - `knn_accuracy`: top-1 accuracy of the weighted kNN vote (k neighbours by cosine
      similarity, weights exp(s/τ)) of each query's embedding among the reference embeddings;
      the reference labels are the votes, nothing else is learned from them.
    - `knn1_accuracy`: the same with k = 1 (the label of the most similar reference).
    - `recall_at_1`, `map_at_r`: leave-one-out retrieval among the query embeddings by cosine
      similarity (as the `classification` evaluator reports them).
    - `pixel_knn_accuracy`, `pixel_knn1_accuracy` (with `pixel_baseline`): the same two votes
      on L2-normalised raw pixel vectors (`pixel_vectors`) of the same queries and references;
      they do not depend on the model. Both are reported because k = 200 suits learned
      embeddings but not pixels: on Fashion-MNIST the pixel vote is 0.79 at k = 200 and 0.86
      at k = 1 (full splits).

    Args:
        model: maps preprocessed images to the outputs named in `entry.outputs`
            (one of them `"embedding"`).
        entry: the zoo entry (`input` preprocessing spec, `outputs`, `eval`).
        limit: `None` for the full splits; else the first `limit` queries against the first
            `reference_limit` references, a cheap deterministic slice (what CI re-checks).
        progress: show progress bars while embedding.
        data_dir: dataset folder (default `$KZOO_DATA`).
        k: neighbours of the vote. Defaults to 200 (Wu et al.).
        temperature: τ > 0 of the vote weights. Defaults to 0.07 (Wu et al.).
        reference_split: the labelled split voted from; must differ from the query split.
        reference_limit: the reference set's size with `limit` (ignored without it).
            Defaults to `CI_REFERENCE_SIZE` (10,000).
        pixel_baseline: also report `pixel_knn_accuracy`.
        batch_size: images per forward pass.

    Example:
    ```python
    metrics = kzoo.zoo.get_evaluator("weighted_knn")(model, entry, limit=1000)
    ```

    Reference: Wu, Xiong, Yu, Lin, "Unsupervised Feature Learning via Non-Parametric Instance
    Discrimination", CVPR 2018, Sec. 3.5 (weighted kNN, k = 200, τ = 0.07).
    """
    k = check_int("k", k, 1)
    if not temperature > 0:
        raise ValueError(f"`temperature` must be > 0. Received: temperature={temperature!r}")
    reference_limit = check_int("reference_limit", reference_limit, 1)
    if limit is not None:
        limit = check_int("limit", limit, 1)
    split = entry.eval.split
    if reference_split == split:
        raise ValueError(
            f"`reference_split` must differ from the evaluated split {split!r} (a query would "
            f"be its own neighbour). Received: reference_split={reference_split!r}"
        )
    dataset = entry.eval.dataset
    query_images, query_labels = load_split(dataset, split, data_dir)
    ref_images, ref_labels = load_split(dataset, reference_split, data_dir)
    if limit is not None:
        query_images, query_labels = query_images[:limit], query_labels[:limit]
        ref_images, ref_labels = ref_images[:reference_limit], ref_labels[:reference_limit]
    query_labels, ref_labels = query_labels.astype("int64"), ref_labels.astype("int64")
    num_classes = int(max(query_labels.max(), ref_labels.max())) + 1

    def vote(queries: np.ndarray, references: np.ndarray, neighbours: int) -> float:
        return weighted_knn_accuracy(
            queries, query_labels, references, ref_labels, neighbours, temperature, num_classes
        )

    desc = f"eval {entry.key}"
    queries = named_outputs(model, entry, query_images, batch_size, progress, f"{desc} {split}")
    references = named_outputs(
        model, entry, ref_images, batch_size, progress, f"{desc} {reference_split}"
    )
    queries, references = queries["embedding"], references["embedding"]
    metrics = {
        "knn_accuracy": vote(queries, references, k),
        "knn1_accuracy": vote(queries, references, 1),
        "recall_at_1": recall_at_k(queries, query_labels, 1, distance="angular"),
        "map_at_r": map_at_r(queries, query_labels, distance="angular"),
    }
    if pixel_baseline:
        pixel_queries, pixel_references = pixel_vectors(query_images), pixel_vectors(ref_images)
        metrics["pixel_knn_accuracy"] = vote(pixel_queries, pixel_references, k)
        metrics["pixel_knn1_accuracy"] = vote(pixel_queries, pixel_references, 1)
    return metrics
