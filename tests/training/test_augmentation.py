"""Augmentation layers of a run: chosen by the config, active in training only."""

from __future__ import annotations

import numpy as np
import pytest

from kzoo.training import AugmentConfig, build_augmentation


def test_no_augmentation_is_none():
    assert build_augmentation(AugmentConfig(), (28, 28)) is None


def test_layers_in_order():
    config = AugmentConfig(
        shift=2, flip="horizontal", rotation=10, zoom=0.1, shear=0.1, randaugment=2
    )
    aug = build_augmentation(config, (28, 28))
    names = [layer.name for layer in aug.layers]
    assert names == [
        "randaugment",
        "random_flip",
        "random_rotation",
        "random_zoom",
        "random_shear",
        "random_shift",
    ]
    shift = aug.layers[-1]
    assert shift.height_factor == (-2 / 28, 2 / 28) or shift.height_factor == 2 / 28


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"flip": "sideways"}, "augment.flip"),
        ({"shift": -1}, "augment.shift"),
        ({"rotation": -5.0}, "augment.rotation"),
    ],
)
def test_bad_arguments_name_the_key(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_augmentation(AugmentConfig(**kwargs), (28, 28))


@pytest.mark.multi_backend
def test_training_only_and_grayscale_randaugment():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (8, 28, 28, 1)).astype("float32")
    aug = build_augmentation(AugmentConfig(shift=3, rotation=15, randaugment=2), (28, 28), seed=1)
    np.testing.assert_array_equal(np.asarray(aug(x, training=False)), x)
    out = np.asarray(aug(x, training=True))
    assert out.shape == x.shape and np.isfinite(out).all() and not np.allclose(out, x)
