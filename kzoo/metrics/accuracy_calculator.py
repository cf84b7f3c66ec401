"""PyTorch Metric Learning's `AccuracyCalculator` metrics, on NumPy arrays and scikit-learn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from kzoo.metrics import knn_ranking

KNN_METRICS = (
    "mean_average_precision",
    "mean_average_precision_at_r",
    "mean_reciprocal_rank",
    "precision_at_1",
    "r_precision",
)
CLUSTERING_METRICS = ("AMI", "NMI")
METRICS = CLUSTERING_METRICS + KNN_METRICS


class AccuracyCalculator:
    """Retrieval and clustering accuracy of embeddings, with PML 2.9's names and semantics.

    Each query is ranked against the reference set by exact nearest-neighbour search; when
    the query set is (the first rows of) the reference set, `ref_includes_query=True` keeps
    a query from retrieving itself. Queries whose label has no other example in the
    reference set ("lone" queries) are left out of the kNN metrics, as PML does.

    - `precision_at_1`: the nearest neighbour has the query's label (Recall@1).
    - `r_precision`: share of the query's label among its `R` nearest neighbours, `R` being
      the number of references with that label.
    - `mean_average_precision_at_r`: MAP@R of Musgrave et al. (2020).
    - `mean_average_precision`: average precision over the `k` neighbours.
    - `mean_reciprocal_rank`: `1 / rank` of the first neighbour with the query's label
      (0 when none is among the `k` retrieved).
    - `NMI`, `AMI`: normalised / adjusted mutual information between the labels and a
      k-means clustering of the queries into as many clusters as there are labels
      (scikit-learn's `KMeans`; PML uses faiss' k-means, so these two can differ from
      PML's by the clustering's randomness).

    Args:
        include: metric names to compute; empty means all of them.
        exclude: metric names to leave out.
        avg_of_avgs: average the per-query scores within each label first, then over labels.
        return_per_class: return a list of per-label scores (labels sorted) instead.
        k: neighbours retrieved per query: `None` (every reference, PML's default),
            `"max_bin_count"` (the largest label count, enough for the R-based metrics and
            cheaper) or an int. Only `mean_reciprocal_rank` and
            `mean_average_precision` depend on it.
        distance: `"l2"` (PML's default `FaissKNN`, `IndexFlatL2`) or `"angular"`
            (cosine similarity, PML's `CustomKNN(CosineSimilarity())`).
        seed: random state of the k-means clustering.
        chunk: queries ranked at a time (memory).

    Example:
    >>> calc = AccuracyCalculator(include=("precision_at_1", "mean_average_precision_at_r"))
    >>> calc.get_accuracy(test_embeddings, test_labels)
    {'mean_average_precision_at_r': 0.61, 'precision_at_1': 0.93}

    Reference: Musgrave, Belongie, Lim, "A Metric Learning Reality Check", ECCV 2020.
    """

    def __init__(
        self,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        avg_of_avgs: bool = False,
        return_per_class: bool = False,
        k: int | str | None = None,
        distance: str = "l2",
        seed: int = 0,
        chunk: int = 1024,
    ) -> None:
        self.include = tuple(self._check_names("include", include))
        self.exclude = tuple(self._check_names("exclude", exclude))
        if avg_of_avgs and return_per_class:
            raise ValueError("avg_of_avgs and return_per_class are mutually exclusive.")
        is_int = isinstance(k, (int, np.integer)) and not isinstance(k, bool)
        if not ((is_int and k > 0) or k in (None, "max_bin_count")):
            raise ValueError(f"k must be a positive int, None or 'max_bin_count', got {k!r}.")
        if distance not in ("l2", "angular"):
            raise ValueError(f"distance must be 'l2' or 'angular', got {distance!r}.")
        self.avg_of_avgs = bool(avg_of_avgs)
        self.return_per_class = bool(return_per_class)
        self.k = k
        self.distance = distance
        self.seed = seed
        self.chunk = chunk

    @staticmethod
    def _check_names(name: str, names: Sequence[str]) -> Sequence[str]:
        if not isinstance(names, (tuple, list)):
            raise TypeError(f"{name} must be a tuple or list of metric names, got {names!r}.")
        unknown = sorted(set(names) - set(METRICS))
        if unknown:
            raise ValueError(f"{name} has unknown metrics {unknown}; choose from {list(METRICS)}.")
        return names

    def metrics(self, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
        """The metric names `get_accuracy` computes, given its own `include`/`exclude`."""
        chosen = self._check_names("include", include) or self.include or METRICS
        dropped = set(self.exclude) | set(self._check_names("exclude", exclude))
        return [m for m in METRICS if m in chosen and m not in dropped]

    def get_accuracy(
        self,
        query: Any,
        query_labels: Any,
        reference: Any = None,
        reference_labels: Any = None,
        ref_includes_query: bool = False,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Metric name → score (or list of per-label scores) for `query` against `reference`.

        Without `reference`, the queries are ranked against each other, leaving themselves out.
        """
        q, yq = knn_ranking.as_inputs(query, query_labels, "query_")
        if reference is None:
            r, yr, ref_includes_query = q, yq, True
        else:
            r, yr = knn_ranking.as_inputs(reference, reference_labels, "reference_")
            if r.shape[1] != q.shape[1]:
                raise ValueError(
                    f"reference embeddings have dimension {r.shape[1]}, queries {q.shape[1]}."
                )
        if ref_includes_query and not (
            len(r) >= len(q) and np.allclose(q, r[: len(q)]) and np.all(yq == yr[: len(q)])
        ):
            raise ValueError(
                "ref_includes_query=True needs the first len(query) rows of reference and "
                "reference_labels to be the queries and their labels."
            )
        names = self.metrics(include, exclude)
        out: dict[str, Any] = {}
        if any(m in CLUSTERING_METRICS for m in names):
            out.update(self._clustering(q, yq, names))
        if any(m in KNN_METRICS for m in names):
            out.update(self._knn(q, yq, r, yr, bool(ref_includes_query), names))
        return {m: out[m] for m in names}

    def _clustering(self, q: np.ndarray, yq: np.ndarray, names: list[str]) -> dict[str, Any]:
        try:
            from sklearn.cluster import KMeans
            from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score
        except ImportError as e:  # pragma: no cover - scikit-learn is in the dev/train extras
            raise ImportError("NMI and AMI need scikit-learn: pip install scikit-learn") from e
        num_clusters = len(np.unique(yq))
        if num_clusters > len(q):
            raise ValueError("NMI/AMI need at least as many queries as labels.")
        kmeans = KMeans(n_clusters=num_clusters, n_init=10, random_state=self.seed)
        clusters = kmeans.fit_predict(q.astype(np.float64))
        scores = {
            "NMI": normalized_mutual_info_score(yq, clusters),
            "AMI": adjusted_mutual_info_score(yq, clusters),
        }
        return {m: float(scores[m]) for m in CLUSTERING_METRICS if m in names}

    def _knn(
        self,
        q: np.ndarray,
        yq: np.ndarray,
        r: np.ndarray,
        yr: np.ndarray,
        ref_includes_query: bool,
        names: list[str],
    ) -> dict[str, Any]:
        self_count = int(ref_includes_query)
        labels, inverse = np.unique(yq, return_inverse=True)
        label_counts = np.array([np.sum(yr == label) for label in labels]) - self_count
        num_relevant = label_counts[inverse]
        if self.k == "max_bin_count":
            k = int(label_counts.max()) if len(labels) else 0
        elif self.k is None:
            k = len(r) - self_count
        else:
            k = int(self.k)
        if k > len(r) - self_count:
            raise ValueError(
                f"k={k} is larger than the number of references ({len(r) - self_count})."
            )
        keep = num_relevant > 0
        if not np.any(keep):
            nan = [float("nan")] * len(labels) if self.return_per_class else float("nan")
            return {m: nan for m in names if m in KNN_METRICS}
        if ref_includes_query:  # query i is reference i: rank everything, then drop lone rows
            neighbors = knn_ranking.nearest_neighbors(q, r, k, True, self.distance, self.chunk)
            neighbors = neighbors[keep]
        else:
            neighbors = knn_ranking.nearest_neighbors(
                q[keep], r, k, False, self.distance, self.chunk
            )
        same = yr[neighbors] == yq[keep, None]
        relevant = num_relevant[keep]
        per_query = {
            "precision_at_1": lambda: same[:, 0].astype(np.float64),
            "r_precision": lambda: knn_ranking.r_precision(same, relevant),
            "mean_average_precision_at_r": lambda: knn_ranking.average_precision(
                same, relevant, at_r=True
            ),
            "mean_average_precision": lambda: knn_ranking.average_precision(
                same, relevant, at_r=False
            ),
            "mean_reciprocal_rank": lambda: knn_ranking.reciprocal_rank(same),
        }
        kept_labels = inverse[keep]
        return {m: self._average(per_query[m](), kept_labels) for m in names if m in KNN_METRICS}

    def _average(self, scores: np.ndarray, label_ids: np.ndarray) -> Any:
        if not (self.avg_of_avgs or self.return_per_class):
            return float(np.mean(scores))
        present = np.unique(label_ids)
        per_class = [float(np.mean(scores[label_ids == c])) for c in present]
        return per_class if self.return_per_class else float(np.mean(per_class))
