"""The README's "Migrating from TF-Addons" snippet runs and gives TF-Addons' values."""

import pathlib
import re

import numpy as np
import pytest

from tests.losses import tfa_reference as tfa

pytestmark = pytest.mark.multi_backend

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_migration_snippet_runs_and_matches_tfa():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Migrating from TF-Addons", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope: dict = {}
    exec(code, scope)  # noqa: S102
    y, e = scope["labels"], scope["embeddings"]
    np.testing.assert_allclose(float(scope["semihard"]), tfa.triplet_semihard_loss(y, e), 1e-6)
    np.testing.assert_allclose(float(scope["hard"]), tfa.triplet_hard_loss(y, e), 1e-6)
    np.testing.assert_allclose(
        float(scope["function"]), tfa.triplet_semihard_loss(y, e, 1.0, "angular"), 1e-5
    )
    per_pair = tfa.contrastive_loss(scope["pair_labels"], scope["pair_distances"])
    np.testing.assert_allclose(np.asarray(scope["per_pair"]), per_pair, 1e-6)
    np.testing.assert_allclose(float(scope["contrastive"]), per_pair.mean(), 1e-6)
