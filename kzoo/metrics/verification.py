"""Face-verification metrics on pairs: LFW's k-fold threshold accuracy and TAR@FAR."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_pairs(scores: Any, is_same: Any) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(is_same).reshape(-1)
    if len(s) != len(y):
        raise ValueError(f"is_same must have one entry per score: {len(y)} for {len(s)} scores.")
    if not np.all(np.isin(y, (0, 1))):
        raise ValueError("is_same must hold booleans (or 0/1).")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or inf values.")
    return s, y.astype(bool)


def pair_scores(embeddings_a: Any, embeddings_b: Any, distance: str = "cosine") -> np.ndarray:
    """Similarity of each pair `(a[i], b[i])`, higher meaning more alike.

    `distance="cosine"`: cosine similarity; `"l2"`: minus the Euclidean distance.
    """
    a = np.asarray(embeddings_a, dtype=np.float64)
    b = np.asarray(embeddings_b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(
            "embeddings_a and embeddings_b must both have shape (num_pairs, dim); "
            f"got {a.shape} and {b.shape}."
        )
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("embeddings_a or embeddings_b contain NaN or inf values.")
    if distance == "cosine":
        a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
        b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
        return np.sum(a * b, axis=1)
    if distance == "l2":
        return -np.linalg.norm(a - b, axis=1)
    raise ValueError(f"distance must be 'cosine' or 'l2', got {distance!r}.")


def best_threshold(scores: Any, is_same: Any) -> tuple[float, float]:
    """The threshold with the highest accuracy of `score >= threshold` ⇔ same, and that accuracy.

    Thresholds are taken midway between consecutive distinct scores (ties go to the lowest).
    """
    s, y = check_pairs(scores, is_same)
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    # Predicting "same" for the top n - i scores: correct = negatives below i + positives from i.
    neg_below = np.concatenate([[0], np.cumsum(~y)])
    pos_from = np.concatenate([np.cumsum(y[::-1])[::-1], [0]])
    correct = neg_below + pos_from
    cut = np.concatenate([[True], s[1:] > s[:-1], [True]])  # only split between distinct scores
    i = int(np.argmax(np.where(cut, correct, -1)))
    if i == 0:
        threshold = s[0] - 1.0
    elif i == len(s):
        threshold = s[-1] + 1.0
    else:
        threshold = (s[i - 1] + s[i]) / 2.0
    return float(threshold), float(correct[i] / len(s))


def kfold_accuracy(
    scores: Any, is_same: Any, num_folds: int = 10
) -> tuple[float, float, np.ndarray]:
    """LFW's verification accuracy: mean and std over folds, and each fold's threshold.

    Pairs split into `num_folds` consecutive folds (LFW's `pairs.txt` order); for each fold,
    the threshold is the best one on the other folds and accuracy is measured on the fold.

    Example:
    >>> mean, std, thresholds = kfold_accuracy(pair_scores(a, b), is_same)

    Reference: Huang et al., "Labeled Faces in the Wild", UMass TR 07-49, 2007.
    """
    s, y = check_pairs(scores, is_same)
    if isinstance(num_folds, bool) or not isinstance(num_folds, int) or num_folds < 2:
        raise ValueError(f"num_folds must be an int >= 2, got {num_folds!r}.")
    if len(s) < num_folds:
        raise ValueError(f"num_folds={num_folds} is larger than the number of pairs ({len(s)}).")
    folds = np.array_split(np.arange(len(s)), num_folds)
    accuracies, thresholds = [], []
    for test in folds:
        train = np.setdiff1d(np.arange(len(s)), test)
        threshold, _ = best_threshold(s[train], y[train])
        accuracies.append(np.mean((s[test] >= threshold) == y[test]))
        thresholds.append(threshold)
    return float(np.mean(accuracies)), float(np.std(accuracies)), np.asarray(thresholds)


def tar_at_far(scores: Any, is_same: Any, far: float) -> float:
    """True accept rate at the lowest threshold whose false accept rate is at most `far`.

    Example:
    >>> tar_at_far(pair_scores(a, b), is_same, far=1e-3)
    """
    from sklearn.metrics import roc_curve

    s, y = check_pairs(scores, is_same)
    if not 0.0 <= far <= 1.0:
        raise ValueError(f"far must be in [0, 1], got {far!r}.")
    if y.all() or not y.any():
        raise ValueError("is_same must contain both same (True) and different (False) pairs.")
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    return float(np.max(tpr[fpr <= far]))
