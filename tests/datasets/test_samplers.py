import numpy as np
import pytest

from kzoo.datasets import MPerClassSampler, SampledDataset, TripletSampler


def _labels(seed=0, classes=7, n=300):
    return np.random.default_rng(seed).integers(0, classes, size=n)


def test_m_per_class_batches_hold_m_samples_of_each_class():
    labels = np.concatenate(
        [np.repeat(np.arange(10), 20), np.array([10, 10])]
    )  # class 10 has 2 samples
    sampler = MPerClassSampler(labels, m=4, batch_size=32, seed=1)
    assert len(sampler) == len(labels) // 32
    for batch in sampler:
        assert batch.shape == (32,)
        classes, counts = np.unique(labels[batch], return_counts=True)
        assert len(classes) == 8 and set(counts.tolist()) == {4}


def test_m_per_class_without_replacement_within_class_until_exhausted():
    labels = np.repeat(np.arange(4), 8)
    sampler = MPerClassSampler(labels, m=4, batch_size=16, length_before_new_iter=32, seed=0)
    seen = np.concatenate(list(sampler))
    assert len(np.unique(seen)) == 32  # 2 batches x 4 classes x 4 = each of 32 samples exactly once


def test_m_per_class_is_reproducible_and_reshuffles_each_epoch():
    labels = _labels()
    a = MPerClassSampler(labels, m=2, batch_size=8, seed=3)
    b = MPerClassSampler(labels, m=2, batch_size=8, seed=3)
    first = np.stack(list(a))
    assert np.array_equal(first, np.stack(list(b)))
    assert not np.array_equal(first, np.stack(list(a)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(labels=[[0, 1]], m=2, batch_size=4), "labels must be a non-empty 1-D integer array"),
        (dict(labels=[0, 1, 1], m=0, batch_size=4), "m must be a positive int"),
        (
            dict(labels=[0, 1, 1], m=2, batch_size=3),
            "batch_size must be a positive multiple of m=2",
        ),
        (
            dict(labels=[0, 1, 1], m=1, batch_size=3),
            "needs 3 classes of m=1, but labels hold only 2",
        ),
        (
            dict(labels=[0, 1, 1], m=1, batch_size=2, length_before_new_iter=1),
            "smaller than batch_size",
        ),
    ],
)
def test_m_per_class_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MPerClassSampler(**kwargs)


def test_triplet_sampler_triplets_are_valid_and_cover_every_anchor():
    labels = np.concatenate([_labels(1, classes=5, n=203), [9]])  # class 9: a single sample
    sampler = TripletSampler(labels, batch_size=32, seed=0)
    anchors = []
    for a, p, n in sampler:
        assert np.all(labels[a] == labels[p]) and np.all(labels[a] != labels[n])
        alone = labels[a] == 9
        assert np.all((p != a) | alone) and np.all(p[alone] == a[alone])
        anchors.append(a)
    assert sorted(np.concatenate(anchors).tolist()) == list(range(len(labels)))


def test_triplet_sampler_draws_positives_and_negatives_uniformly():
    labels = np.array([0, 0, 0, 1, 2, 2])
    sampler = TripletSampler(labels, batch_size=6, seed=0)
    pos, neg = np.zeros((6, 6)), np.zeros((6, 6))
    for _ in range(3000):
        a, p, n = sampler.batch(0)
        np.add.at(pos, (a, p), 1)
        np.add.at(neg, (a, n), 1)
        sampler.on_epoch_end()
    np.testing.assert_allclose(pos[0, [1, 2]] / 3000, [0.5, 0.5], atol=0.04)
    np.testing.assert_allclose(neg[0, [3, 4, 5]] / 3000, [1 / 3] * 3, atol=0.04)
    np.testing.assert_allclose(neg[3, [0, 1, 2, 4, 5]] / 3000, [0.2] * 5, atol=0.04)


def test_triplet_sampler_needs_two_classes():
    with pytest.raises(ValueError, match="at least two classes"):
        TripletSampler([1, 1, 1], batch_size=2)


def test_sampled_dataset_yields_batches_for_fit():
    x = np.arange(300 * 3, dtype="float32").reshape(300, 3)
    y = _labels()
    data = SampledDataset(x, y, MPerClassSampler(y, m=3, batch_size=12, seed=0))
    xb, yb = data[0]
    assert xb.shape == (12, 3) and np.array_equal(x[(xb[:, 0] / 3).astype(int)], xb)
    triplets = SampledDataset(x, y, TripletSampler(y, batch_size=16, seed=0))
    inputs, ya = triplets[len(triplets) - 1]
    assert set(inputs) == {"anchor", "positive", "negative"} and len(ya) == 300 - 16 * 18
    with pytest.raises(ValueError, match="sampler was built on 300 labels but y has 10"):
        SampledDataset(x[:10], y[:10], MPerClassSampler(y, m=3, batch_size=12))
