"""Backend-independent parts of kzoo.export: the backend guard and the verifier's statistics."""

import keras
import numpy as np
import pytest

from kzoo.export import representative_sample, to_tflite
from kzoo.export.verify import _compare, _nearest_neighbour

pytestmark = pytest.mark.multi_backend


def _nearest_reference(e):
    out = []
    for i in range(len(e)):
        best, best_j = -np.inf, -1
        for j in range(len(e)):
            if i == j:
                continue
            sim = np.dot(e[i], e[j]) / (np.linalg.norm(e[i]) * np.linalg.norm(e[j]))
            if sim > best:
                best, best_j = sim, j
        out.append(best_j)
    return np.array(out)


def test_nearest_neighbour_matches_loop_reference():
    e = np.random.default_rng(0).normal(size=(37, 5))
    np.testing.assert_array_equal(_nearest_neighbour(e, chunk=8), _nearest_reference(e))


def test_compare_statistics():
    keras_logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 1.0, 4.0], [5.0, 0.0, 0.0]])
    litert_logits = keras_logits.copy()
    litert_logits[2] = [4.5, 1.0, 4.0]
    y = np.array([0, 1, 2, 1])
    r = _compare(keras_logits, litert_logits, "logits", y)
    assert r["max_abs_diff"] == 4.5 and r["mean_abs_diff"] == pytest.approx(4.5 / 12)
    assert r["top1_agreement"] == 0.75
    assert r["keras_accuracy"] == 0.75 and r["litert_accuracy"] == 0.5
    assert r["accuracy_change"] == -0.25
    e = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    r = _compare(e, e, "embedding", np.array([0, 0, 1, 1]))
    assert r["top1_agreement"] == 1.0 and r["keras_accuracy"] == 1.0 and r["max_abs_diff"] == 0.0
    with pytest.raises(ValueError, match="Shape mismatch"):
        _compare(e, e[:2], "embedding", None)


def test_representative_sample_is_seeded_subset():
    x = np.arange(50)[:, None]
    a, b = representative_sample(x, 10, seed=1), representative_sample(x, 10, seed=1)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == 10 and set(a.ravel()) <= set(range(50))
    with pytest.raises(ValueError, match="num_samples"):
        representative_sample(x, 0)


@pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="guard for other backends")
def test_other_backends_get_a_clear_error(tmp_path):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    with pytest.raises(RuntimeError, match="KERAS_BACKEND=tensorflow"):
        to_tflite(model, tmp_path / "m.tflite")
    assert list(tmp_path.iterdir()) == []
