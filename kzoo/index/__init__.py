"""Retrieval: an index of embeddings with search, lookup, threshold calibration and save/load."""

from kzoo.index.calibration import Calibration
from kzoo.index.index import Index, Lookup

__all__ = ["Calibration", "Index", "Lookup"]
