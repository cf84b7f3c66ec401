import numpy as np
import pytest

from kzoo.datasets import trr_synthetic


def test_trr_synthetic_protocol():
    (x, y), (x_val, y_val) = trr_synthetic(10_000, seed=0)
    (x2, y2), (x_val2, y_val2) = trr_synthetic(50_000, seed=1)
    assert x.shape == (10_000, 100) and x.dtype == np.float32 and y.dtype == np.int64
    assert x2.shape == (50_000, 100) and x_val.shape == (10_000, 100)
    np.testing.assert_array_equal(x_val, x_val2)  # one validation split for every size and seed
    np.testing.assert_array_equal(y_val, y_val2)
    assert set(np.unique(y).tolist()) == set(range(10))
    # 20 redundant features are linear combinations of the informative ones: rank 80
    assert np.linalg.matrix_rank(x[:2000].astype(np.float64), tol=1e-3) == 80
    # train and validation never share a sample
    assert not (set(map(bytes, x)) & set(map(bytes, x_val)))


def test_trr_synthetic_seed_picks_another_training_subset():
    (xa, _), _ = trr_synthetic(1000, seed=0)
    (xb, _), _ = trr_synthetic(1000, seed=1)
    assert not np.array_equal(xa, xb)


@pytest.mark.parametrize("n_train", [0, 100_001, 2.5])
def test_trr_synthetic_bad_size(n_train):
    with pytest.raises(ValueError, match="n_train must be an int in"):
        trr_synthetic(n_train)
