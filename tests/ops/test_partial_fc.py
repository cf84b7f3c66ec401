"""Partial FC class sampling against explicit NumPy checks."""

import keras
import numpy as np
import pytest

from kzoo.ops import num_sampled_classes, sample_classes
from kzoo.testing import TestCase

pytestmark = pytest.mark.multi_backend


class TestSampleClasses(TestCase):
    @pytest.mark.parametrize("shards", [1, 4])
    def test_keeps_positives_and_remaps_labels(self, shards):
        labels = np.array([5, 5, 17, 63, 99, 0, 42], "int32")
        kept = num_sampled_classes(100, 0.2, shards)
        seed = keras.random.SeedGenerator(3)
        index, remapped, found = (
            keras.ops.convert_to_numpy(t) for t in sample_classes(labels, 100, kept, shards, seed)
        )
        assert kept == {1: 20, 4: 5}[shards]
        assert index.shape == (kept * shards,)
        assert np.all(np.diff(index) > 0)
        local = 100 // shards
        for shard in range(shards):
            block = index[(index >= shard * local) & (index < (shard + 1) * local)]
            assert len(block) == kept
        for i, label in enumerate(labels):
            assert found[i] and index[remapped[i]] == label
        assert set(labels) <= set(index.tolist())

    def test_negatives_are_uniform(self):
        seed = keras.random.SeedGenerator(0)
        counts = np.zeros(50)
        for _ in range(200):
            index, _, _ = sample_classes(np.array([0, 1], "int32"), 50, 10, 1, seed)
            counts[keras.ops.convert_to_numpy(index)] += 1
        assert counts[0] == counts[1] == 200
        # each of the 48 negatives is kept with probability 8/48: mean 33.3 of 200 draws
        assert 15 < counts[2:].min() and counts[2:].max() < 55, counts

    def test_labels_beyond_the_kept_count_are_reported(self):
        labels = np.arange(6, dtype="int32")
        _, _, found = sample_classes(labels, 20, 4, 1, keras.random.SeedGenerator(0))
        assert int(np.sum(keras.ops.convert_to_numpy(found))) == 4

    def test_num_sampled_classes(self):
        assert num_sampled_classes(1000, 0.1) == 100
        assert num_sampled_classes(1000, 0.1, 8) == 12
        assert num_sampled_classes(10, 0.01) == 1
