import re

import keras
import numpy as np
import pytest

import kzoo
from kzoo.losses import TRRLoss
from kzoo.models import TripletFeatureModel

pytestmark = pytest.mark.multi_backend


def _example(obj) -> str:
    """The `>>>`/`...` lines of the docstring's Example, as code."""
    doc = obj.__doc__.split("Example:")[1]
    lines = [m.group(1) for m in re.finditer(r"^\s*(?:>>>|\.\.\.) ?(.*)$", doc, re.M)]
    return "\n".join(lines)


@pytest.mark.parametrize("documented", [TRRLoss, TripletFeatureModel])
def test_documented_trr_setup_runs_as_written(documented):
    rng = np.random.default_rng(0)
    y_train = rng.integers(0, 10, 256)
    x_train = (rng.normal(size=(256, 100)) + 0.5 * y_train[:, None]).astype("float32")
    keras.utils.set_random_seed(0)
    scope = {"kzoo": kzoo, "keras": keras, "x_train": x_train, "y_train": y_train}
    scope["TripletFeatureModel"], scope["TRRLoss"] = TripletFeatureModel, TRRLoss
    exec(_example(documented), scope)
    model = scope["model"]
    history = model.history.history
    assert set(history) >= {"loss", "logits_loss", "trr_loss"}
    assert np.all(np.isfinite(history["loss"]))
    assert model._features.outputs[-1].shape[-1] == 10  # the encoder's "logits", not its embedding


def test_dict_targets_are_used_as_given():
    from kzoo.models.triplet_feature_model import _targets

    y = np.arange(3)
    pred = {"logits": None, "trr": None}
    assert _targets(y, pred).keys() == {"logits", "trr"}
    given = {"logits": y, "trr": y}
    assert _targets(given, pred) is given
