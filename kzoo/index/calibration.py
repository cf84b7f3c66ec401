"""A match threshold on nearest-neighbour distance for a target precision (TF-Similarity)."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class Calibration:
    """Where `Index.calibrate` put the match threshold, and the curves it chose from.

    A query matches its nearest neighbour's label when their distance is `<= threshold`.

    Attributes:
        threshold: the largest distance whose precision is at least `target_precision`.
        target_precision: the precision asked for.
        precision: precision of the accepted matches at `threshold`.
        recall: share of correct nearest neighbours accepted at `threshold`.
        distances: every candidate threshold (distinct nearest distances, ascending).
        precisions, recalls: precision and recall at each candidate.
    """

    threshold: float
    target_precision: float
    precision: float
    recall: float
    distances: np.ndarray
    precisions: np.ndarray
    recalls: np.ndarray


def calibrate_threshold(
    distances: np.ndarray, correct: np.ndarray, target_precision: float
) -> Calibration:
    """Calibration from each query's nearest distance and whether that neighbour's label is right.

    At threshold `t`: true positives are correct neighbours with distance `<= t`, false
    positives wrong ones with distance `<= t`; precision `tp / (tp + fp)` and recall
    `tp / (tp + fn)`, as TF-Similarity's `match_nearest` calibration.
    """
    if not 0.0 < target_precision <= 1.0:
        raise ValueError(f"target_precision must be in (0, 1], got {target_precision!r}.")
    d = np.asarray(distances, dtype=np.float64).reshape(-1)
    ok = np.asarray(correct, dtype=bool).reshape(-1)
    if len(d) == 0:
        raise ValueError("calibration needs at least one query.")
    order = np.argsort(d, kind="stable")
    d, ok = d[order], ok[order]
    last = np.concatenate([d[1:] > d[:-1], [True]])  # last query of each distinct distance
    tp = np.cumsum(ok)[last]
    accepted = np.flatnonzero(last) + 1.0
    precisions = tp / accepted
    recalls = tp / max(int(ok.sum()), 1)
    thresholds = d[last]
    reached = np.flatnonzero(precisions >= target_precision)
    if len(reached) == 0:
        raise ValueError(
            f"No threshold reaches target_precision={target_precision}: the nearest "
            f"neighbour is right for {ok.mean():.3f} of the queries and precision is at most "
            f"{precisions.max():.3f}."
        )
    i = reached[-1]
    return Calibration(
        threshold=float(thresholds[i]),
        target_precision=float(target_precision),
        precision=float(precisions[i]),
        recall=float(recalls[i]),
        distances=thresholds,
        precisions=precisions,
        recalls=recalls,
    )
