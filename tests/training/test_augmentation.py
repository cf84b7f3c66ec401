"""Augmentation layers of a run: chosen by the config, active in training only."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kzoo.training import AugmentConfig, build_augmentation

CONFIGS = "training/configs"
EVERY_LAYER = AugmentConfig(
    shift=2,
    flip="horizontal",
    rotation=10,
    zoom=0.1,
    shear=0.1,
    randaugment=2,
    crop_scale=0.2,
    brightness=0.4,
    contrast=0.4,
)


def test_no_augmentation_is_none():
    assert build_augmentation(AugmentConfig(), (28, 28)) is None


def test_layers_in_order():
    aug = build_augmentation(EVERY_LAYER, (28, 28))
    names = [layer.name for layer in aug.layers]
    assert names == [
        "randaugment",
        "random_flip",
        "random_rotation",
        "random_zoom",
        "random_crop",
        "random_shear",
        "random_shift",
        "random_brightness",
        "random_contrast",
    ]
    shift = aug.layers[-3]
    assert shift.height_factor == (-2 / 28, 2 / 28) or shift.height_factor == 2 / 28


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"flip": "sideways"}, "augment.flip"),
        ({"shift": -1}, "augment.shift"),
        ({"rotation": -5.0}, "augment.rotation"),
        ({"crop_scale": 1.0}, r"`augment.crop_scale` must be in \[0, 1\), got 1.0"),
        ({"brightness": -0.1}, "augment.brightness"),
        ({"contrast": 1.5}, r"`augment.contrast` must be <= 1, got 1.5"),
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


def test_crop_scale_keeps_between_that_area_and_all_of_it():
    """A centred 4x4 block grows to a side of 4 / sqrt(area kept): 4 to 8 px for crop_scale 0.25."""
    x = np.zeros((64, 28, 28, 1), "float32")
    x[:, 12:16, 12:16] = 1.0
    aug = build_augmentation(AugmentConfig(crop_scale=0.25), (28, 28), seed=3)
    sides = np.sqrt((np.asarray(aug(x, training=True))[..., 0] > 0.5).sum(axis=(1, 2)))
    assert sides.min() >= 4 - 1 and sides.max() <= 8 + 1, sides
    assert sides.max() - sides.min() >= 2, sides


@pytest.mark.multi_backend
def test_brightness_and_contrast_stay_in_the_value_range():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 28, 28, 1)).astype("float32")
    aug = build_augmentation(AugmentConfig(brightness=0.4, contrast=0.4), (28, 28), seed=2)
    out = np.asarray(aug(x, training=True))
    assert out.min() >= 0.0 and out.max() <= 1.0 and not np.allclose(out, x)
    means = out.mean(axis=(1, 2, 3)) - x.mean(axis=(1, 2, 3))
    assert np.ptp(means) > 0.05, means


@pytest.mark.multi_backend
@pytest.mark.skipif(keras.backend.backend() != "jax", reason="jit of the train step: JAX")
def test_every_layer_traces_under_jit_and_draws_new_transforms_each_step():
    """On JAX a layer with `supports_jit=False` would run the whole train step op by op
    (measured on an H200: 0.6 s per MNIST step, the GPU idle)."""
    import jax

    aug = build_augmentation(EVERY_LAYER, (28, 28), seed=4)
    inputs = keras.Input((28, 28, 1))
    model = keras.Model(inputs, keras.layers.Flatten()(aug(inputs)))
    assert keras.src.trainers.trainer.model_supports_jit(model)

    @jax.jit
    def step(state, x):
        return aug.stateless_call([], state, x, training=True)

    x = np.random.default_rng(0).uniform(0, 1, (8, 28, 28, 1)).astype("float32")
    state = [v.value for v in aug.non_trainable_variables]
    first, state = step(state, x)
    second, _ = step(state, x)
    first, second = np.asarray(first), np.asarray(second)
    assert np.isfinite(first).all() and not np.allclose(first, x)
    assert not np.allclose(first, second)


@pytest.mark.multi_backend
@pytest.mark.skipif(keras.backend.backend() != "jax", reason="jit of the train step: JAX")
def test_a_run_with_augmentation_compiles_its_train_step_on_jax():
    from kzoo.training import build_optimizer, build_run, load_config, load_training_data

    overrides = ["data.train_limit=64", "augment.shift=2", "augment.rotation=5.0"]
    config = load_config(f"{CONFIGS}/lsoftmax_cnn.mnist.toml", overrides)
    data = load_training_data(config)
    run = build_run(config, data)
    run.trainer.compile(optimizer=build_optimizer(config, 1), loss=run.loss, metrics=run.metrics)
    assert run.trainer.jit_compile is True
