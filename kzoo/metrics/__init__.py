"""Retrieval metrics."""

from kzoo.metrics.retrieval import map_at_r, recall_at_k

__all__ = ["map_at_r", "recall_at_k"]
