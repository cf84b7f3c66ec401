"""Nearest-neighbour search on a faiss index (the `index` extra: pip install faiss-cpu)."""

from __future__ import annotations

import numpy as np


def faiss_available() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


class FaissSearch:
    """A faiss index built from a factory string, e.g. `"Flat"`, `"HNSW32"`, `"IVF64,Flat"`.

    Cosine distance searches unit vectors by inner product (distance `1 - cos`); l2 returns
    Euclidean (not squared) distances. Indexes that need training (IVF, PQ) are trained on
    the first vectors added. `search_params` are faiss' parameter strings, e.g.
    `"nprobe=8"` or `"efSearch=64"`.

    Args:
        dim: embedding dimension.
        metric: `"cosine"` or `"l2"`.
        factory: faiss index factory string.
        search_params: faiss `ParameterSpace` string applied before searching.
    """

    def __init__(
        self, dim: int, metric: str, factory: str = "Flat", search_params: str | None = None
    ) -> None:
        import faiss

        self.dim = dim
        self.metric = metric
        self.factory = factory
        self.search_params = search_params
        faiss_metric = faiss.METRIC_INNER_PRODUCT if metric == "cosine" else faiss.METRIC_L2
        try:
            self.index = faiss.index_factory(dim, factory, faiss_metric)
        except RuntimeError as e:
            raise ValueError(f"faiss_index={factory!r} is not a faiss factory string: {e}") from e
        self._apply_params()

    def set_params(self, search_params: str | None) -> None:
        self.search_params = search_params
        self._apply_params()

    def _apply_params(self) -> None:
        if self.search_params:
            import faiss

            faiss.ParameterSpace().set_index_parameters(self.index, self.search_params)

    def add(self, embeddings: np.ndarray) -> None:
        e = np.ascontiguousarray(embeddings, dtype=np.float32)
        if not self.index.is_trained:
            self.index.train(e)
        self.index.add(e)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        d, i = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        if self.metric == "cosine":
            d = 1.0 - d
        else:
            d = np.sqrt(np.maximum(d, 0.0))
        d = np.where(i < 0, np.inf, d)  # approximate indexes may find fewer than k
        return d.astype(np.float32), i.astype(np.int64)

    def serialize(self) -> np.ndarray:
        import faiss

        return faiss.serialize_index(self.index)

    @classmethod
    def deserialize(
        cls, blob: np.ndarray, metric: str, factory: str, search_params: str | None
    ) -> FaissSearch:
        import faiss

        out = cls.__new__(cls)
        out.index = faiss.deserialize_index(np.asarray(blob, dtype=np.uint8))
        out.dim, out.metric, out.factory = out.index.d, metric, factory
        out.search_params = search_params
        out._apply_params()
        return out
