"""Face-verification evaluation of pairs: LFW accuracy, TAR@FAR, the ROC curve and its picture."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from kzoo.metrics.verification import check_pairs, kfold_accuracy, pair_scores, tar_at_far


@dataclasses.dataclass
class VerificationReport:
    """What `evaluate_verification` measured.

    Attributes:
        accuracy: mean k-fold accuracy (LFW protocol).
        accuracy_std: its standard deviation over the folds.
        thresholds: the threshold chosen for each fold (on the other folds).
        tar_at_far: `{far: true accept rate}` for each requested false accept rate.
        auc: area under the ROC curve.
        fpr, tpr, roc_thresholds: the ROC curve (`sklearn.metrics.roc_curve`).
    """

    accuracy: float
    accuracy_std: float
    thresholds: np.ndarray
    tar_at_far: dict[float, float]
    auc: float
    fpr: np.ndarray
    tpr: np.ndarray
    roc_thresholds: np.ndarray

    def summary(self) -> str:
        tars = ", ".join(f"TAR@FAR={far:g}: {tar:.4f}" for far, tar in self.tar_at_far.items())
        return f"accuracy {self.accuracy:.4f} ± {self.accuracy_std:.4f}, AUC {self.auc:.4f}" + (
            f", {tars}" if tars else ""
        )

    def plot_roc(self, path: str | os.PathLike, title: str = "ROC") -> str:
        """Saves the ROC curve (TAR against FAR, log FAR axis) as a PNG and returns its path."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4.5, 4))
        keep = self.fpr > 0
        ax.plot(self.fpr[keep], self.tpr[keep], label=f"AUC {self.auc:.4f}")
        for far, tar in self.tar_at_far.items():
            ax.plot([far], [tar], "o", label=f"TAR {tar:.3f} @ FAR {far:g}")
        ax.set(xscale="log", xlabel="false accept rate", ylabel="true accept rate", title=title)
        ax.set_ylim(0, 1.01)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        path = os.fspath(path)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def evaluate_verification(
    embeddings_a: Any,
    embeddings_b: Any,
    is_same: Any,
    fars: Sequence[float] = (1e-3, 1e-2, 1e-1),
    num_folds: int = 10,
    distance: str = "cosine",
    plot_path: str | os.PathLike | None = None,
) -> VerificationReport:
    """Evaluates verification pairs `(embeddings_a[i], embeddings_b[i])` labelled `is_same[i]`.

    Accuracy follows LFW's protocol: `num_folds` consecutive folds, the best threshold on the
    other folds applied to each fold, mean ± std. TAR@FAR and the AUC come from the ROC curve
    over all pairs. With `plot_path`, the ROC curve is saved there as a PNG.

    Example:
    >>> report = evaluate_verification(model.predict(left), model.predict(right), is_same)
    >>> print(report.summary())
    """
    from sklearn.metrics import auc, roc_curve

    scores = pair_scores(embeddings_a, embeddings_b, distance)
    s, y = check_pairs(scores, is_same)
    mean, std, thresholds = kfold_accuracy(s, y, num_folds)
    tars = {float(far): tar_at_far(s, y, far) for far in fars}
    fpr, tpr, roc_thresholds = roc_curve(y, s)
    report = VerificationReport(
        accuracy=mean,
        accuracy_std=std,
        thresholds=thresholds,
        tar_at_far=tars,
        auc=float(auc(fpr, tpr)),
        fpr=fpr,
        tpr=tpr,
        roc_thresholds=roc_thresholds,
    )
    if plot_path is not None:
        report.plot_roc(plot_path)
    return report
