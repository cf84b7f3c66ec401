"""A searchable index of embeddings: add, search/lookup, calibrate a match threshold, save/load."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from kzoo.index.calibration import Calibration, calibrate_threshold
from kzoo.index.exact_search import METRICS, exact_search, prepare
from kzoo.index.faiss_search import FaissSearch, faiss_available
from kzoo.utils.atomic_write import atomic_write


@dataclasses.dataclass
class Lookup:
    """A neighbour found by `Index.lookup`: rank (0 = nearest), distance, position, label, data."""

    rank: int
    distance: float
    index: int
    label: Any
    data: Any = None


class Index:
    """Nearest-neighbour index of embeddings, TF-Similarity's workflow on Keras 3.

    Items are embedded by `embedder` (a Keras model, called with `predict`, or any function
    from a batch of inputs to embeddings; `None` means inputs are embeddings already), then
    searched by faiss (`pip install faiss-cpu`, kzoo's `index` extra) or, without faiss, by
    exact search on keras.ops. `calibrate` picks the largest nearest-neighbour distance at
    which matches still reach a target precision; `match` then labels queries or rejects them.

    Args:
        embedder: Keras model, callable or `None`.
        distance: `"cosine"` (`1 - cos`, the default) or `"l2"` (Euclidean).
        backend: `"auto"` (faiss when installed, else exact), `"faiss"` or `"exact"`.
        faiss_index: faiss index factory string: `"Flat"` (exact), `"HNSW32"`,
            `"IVF256,Flat"`, ... Indexes that need training are trained on the items
            present at the first search.
        search_params: faiss parameter string, e.g. `"nprobe=16"` or `"efSearch=128"`.
        batch_size: batch size for embedding inputs.

    Example:
    >>> index = kzoo.index.Index(model)
    >>> index.add(x_gallery, labels=y_gallery)
    >>> index.calibrate(x_val, y_val, target_precision=0.95)
    >>> index.match(x_query)  # labels, or -1 where the nearest item is too far
    >>> index.save("gallery.npz")
    """

    def __init__(
        self,
        embedder: keras.Model | Callable[[Any], Any] | None = None,
        distance: str = "cosine",
        backend: str = "auto",
        faiss_index: str = "Flat",
        search_params: str | None = None,
        batch_size: int = 256,
    ) -> None:
        if distance not in METRICS:
            raise ValueError(f"distance must be one of {METRICS}, got {distance!r}.")
        if backend not in ("auto", "faiss", "exact"):
            raise ValueError(f"backend must be 'auto', 'faiss' or 'exact', got {backend!r}.")
        if backend == "faiss" and not faiss_available():
            raise ImportError("backend='faiss' needs faiss: pip install faiss-cpu (kzoo[index]).")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}.")
        self.embedder = embedder
        self.distance = distance
        self.backend = backend
        self.faiss_index = faiss_index
        self._search_params = search_params
        self.batch_size = batch_size
        self.calibration: Calibration | None = None
        self._embeddings = np.zeros((0, 0), np.float32)
        self._labels: np.ndarray | None = None
        self._data: np.ndarray | None = None
        self._faiss: FaissSearch | None = None
        self._faiss_count = 0

    @property
    def search_params(self) -> str | None:
        """faiss search parameters; setting them applies them to the built index."""
        return self._search_params

    @search_params.setter
    def search_params(self, value: str | None) -> None:
        self._search_params = value
        if self._faiss is not None:
            self._faiss.set_params(value)

    @property
    def uses_faiss(self) -> bool:
        return self.backend == "faiss" or (self.backend == "auto" and faiss_available())

    def __len__(self) -> int:
        return len(self._embeddings)

    def embed(self, x: Any) -> np.ndarray:
        """Embeddings of inputs `x` as the index stores them (unit length for cosine)."""
        if self.embedder is None:
            e = np.asarray(x, dtype=np.float32)
        elif isinstance(self.embedder, keras.Model):
            e = np.asarray(self.embedder.predict(x, batch_size=self.batch_size, verbose=0))
        else:
            parts = [
                keras.ops.convert_to_numpy(self.embedder(x[i : i + self.batch_size]))
                for i in range(0, len(x), self.batch_size)
            ]
            e = np.concatenate(parts) if parts else np.zeros((0, 0))
        e = np.asarray(e, dtype=np.float32)
        if e.ndim != 2:
            raise ValueError(f"embeddings must be 2-D (n, dim), got shape {e.shape}.")
        if not np.all(np.isfinite(e)):
            raise ValueError("embeddings contain NaN or inf values.")
        if len(self) and e.shape[1] != self._embeddings.shape[1]:
            raise ValueError(
                f"embeddings have dimension {e.shape[1]}, the index {self._embeddings.shape[1]}."
            )
        return prepare(e, self.distance)

    def add(self, x: Any, labels: Any = None, data: Any = None) -> None:
        """Adds items `x` (embedded by `embedder`), with optional labels and data per item."""
        e = self.embed(x)
        n = len(e)
        labels = np.full(n, -1) if labels is None else np.asarray(labels).reshape(-1)
        if len(labels) != n:
            raise ValueError(f"labels must have one entry per item: {len(labels)} for {n} items.")
        if data is not None:
            data = np.asarray(data)
            if len(data) != n:
                raise ValueError(f"data must have one entry per item: {len(data)} for {n} items.")
        if len(self) and (data is None) != (self._data is None):
            raise ValueError("data must be given for every add() or for none.")
        if len(self) == 0:
            self._embeddings, self._labels, self._data = e, labels, data
        else:
            self._embeddings = np.concatenate([self._embeddings, e])
            self._labels = np.concatenate([self._labels, labels])
            if data is not None:
                self._data = np.concatenate([self._data, data])

    def _searcher(self) -> FaissSearch:
        if self._faiss is None:
            self._faiss = FaissSearch(
                self._embeddings.shape[1], self.distance, self.faiss_index, self.search_params
            )
        if self._faiss_count < len(self):
            self._faiss.add(self._embeddings[self._faiss_count :])
            self._faiss_count = len(self)
        return self._faiss

    def search(self, x: Any, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Distances and positions `(n, k)` of each query's `k` nearest items, nearest first."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive int, got {k!r}.")
        if len(self) == 0:
            raise ValueError("The index is empty: add() items before searching.")
        if k > len(self):
            raise ValueError(f"k={k} is larger than the number of items ({len(self)}).")
        q = self.embed(x)
        if self.uses_faiss:
            return self._searcher().search(q, k)
        return exact_search(q, self._embeddings, k, self.distance)

    def lookup(self, x: Any, k: int = 1) -> list[list[Lookup]]:
        """For each query, its `k` nearest items with their distances, labels and data."""
        distances, indices = self.search(x, k)
        return [
            [
                Lookup(
                    rank=r,
                    distance=float(d),
                    index=int(i),
                    label=self._labels[i].item() if i >= 0 else None,
                    data=self._data[i] if self._data is not None and i >= 0 else None,
                )
                for r, (d, i) in enumerate(zip(row_d, row_i, strict=True))
            ]
            for row_d, row_i in zip(distances, indices, strict=True)
        ]

    def calibrate(self, x: Any, y: Any, target_precision: float = 0.99) -> Calibration:
        """Sets the match threshold from labelled queries `x, y` (not in the index).

        The threshold is the largest nearest-neighbour distance at which accepted matches
        (the nearest item's label) are still right at least `target_precision` of the time.
        """
        y = np.asarray(y).reshape(-1)
        distances, indices = self.search(x, k=1)
        if len(y) != len(distances):
            raise ValueError(f"y must have one label per query: {len(y)} for {len(distances)}.")
        correct = (indices[:, 0] >= 0) & (self._labels[indices[:, 0]] == y)
        self.calibration = calibrate_threshold(distances[:, 0], correct, target_precision)
        return self.calibration

    def match(self, x: Any, no_match_label: Any = -1) -> np.ndarray:
        """The nearest item's label for each query, or `no_match_label` beyond the threshold."""
        if self.calibration is None:
            raise ValueError("match() needs a threshold: call calibrate() first.")
        distances, indices = self.search(x, k=1)
        labels = self._labels[np.maximum(indices[:, 0], 0)]
        accepted = (indices[:, 0] >= 0) & (distances[:, 0] <= self.calibration.threshold)
        return np.where(accepted, labels, np.asarray(no_match_label, dtype=labels.dtype))

    def save(self, path: str | os.PathLike) -> None:
        """Writes the index to one `.npz` file, atomically (a temporary file, then a rename)."""
        path = os.fspath(path)
        config = {
            "distance": self.distance,
            "backend": self.backend,
            "faiss_index": self.faiss_index,
            "search_params": self.search_params,
            "batch_size": self.batch_size,
            "calibration": None,
        }
        arrays = {"embeddings": self._embeddings, "labels": self._labels}
        if self._labels is None:
            arrays["labels"] = np.zeros(0, np.int64)
        if self._data is not None:
            arrays["data"] = self._data
        if self.calibration is not None:
            c = dataclasses.asdict(self.calibration)
            for name in ("distances", "precisions", "recalls"):
                arrays[f"calibration_{name}"] = c.pop(name)
            config["calibration"] = c
        if self.uses_faiss and len(self):
            arrays["faiss"] = self._searcher().serialize()
        arrays["config"] = np.array(json.dumps(config))
        for name, array in arrays.items():
            if array.dtype == object:
                raise ValueError(f"{name} hold Python objects; save() writes numbers and strings.")
        atomic_write(path, lambda f: np.savez(f, **arrays))

    @classmethod
    def load(cls, path: str | os.PathLike, embedder: Any = None) -> Index:
        """Reads an index written by `save`; pass the `embedder` to search raw inputs again."""
        with np.load(os.fspath(path), allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
        config = json.loads(str(arrays["config"]))
        calibration = config.pop("calibration")
        backend = config.pop("backend")
        if backend == "faiss" and not faiss_available():
            raise ImportError(f"{path} was saved with backend='faiss': pip install faiss-cpu.")
        index = cls(embedder, backend=backend, **config)
        index._embeddings = arrays["embeddings"]
        index._labels = arrays["labels"] if len(index._embeddings) else None
        index._data = arrays.get("data")
        if calibration is not None:
            for name in ("distances", "precisions", "recalls"):
                calibration[name] = arrays[f"calibration_{name}"]
            index.calibration = Calibration(**calibration)
        if "faiss" in arrays and index.uses_faiss:
            index._faiss = FaissSearch.deserialize(
                arrays["faiss"], index.distance, index.faiss_index, index.search_params
            )
            index._faiss_count = len(index)
        return index
