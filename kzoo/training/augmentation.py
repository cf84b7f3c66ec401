"""Training-time augmentation from Keras preprocessing layers (inactive at inference)."""

from __future__ import annotations

import math

import keras

from kzoo.training.config import AugmentConfig

FLIPS = ("", "horizontal", "vertical", "horizontal_and_vertical")


def build_augmentation(
    config: AugmentConfig,
    image_size: tuple[int, int] | list[int],
    value_range: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
) -> keras.Sequential | None:
    """The layers `config` asks for, in the order RandAugment, flip, rotation, zoom, crop, shear,
    shift, brightness, contrast; None when it asks for none.

    Args:
        config: `shift` (pixels, zero fill: the pad-and-crop of CIFAR recipes), `flip` (one of
            `FLIPS`; leave it empty for digits and characters), `rotation` (degrees), `zoom`
            (fraction), `shear` (fraction), `randaugment` (ops per image, 0: off) with
            `randaugment_factor` (magnitude in [0, 1]), `crop_scale` (the smallest area
            fraction kept, as RandomResizedCrop's scale=(crop_scale, 1): a centred zoom-in that
            keeps the aspect ratio; the shift then moves the crop), `brightness` and `contrast`
            (Keras' `RandomBrightness` / `RandomContrast` factors).
        image_size: (height, width) of the images.
        value_range: the range of the model's input values (RandAugment needs it).
        seed: seeds each layer (seed, seed + 1, ...).
    """
    if config.flip not in FLIPS:
        raise ValueError(f"`augment.flip` must be one of {FLIPS}, got {config.flip!r}.")
    for name in ("shift", "rotation", "zoom", "shear", "randaugment", "brightness", "contrast"):
        if getattr(config, name) < 0:
            raise ValueError(f"`augment.{name}` must be >= 0, got {getattr(config, name)}.")
    if not 0 <= config.crop_scale < 1:
        raise ValueError(f"`augment.crop_scale` must be in [0, 1), got {config.crop_scale}.")
    for name in ("brightness", "contrast"):
        if getattr(config, name) > 1:
            raise ValueError(f"`augment.{name}` must be <= 1, got {getattr(config, name)}.")
    height, width = image_size
    fill = {"fill_mode": "constant"}
    layers = []
    if config.randaugment:
        layers.append(
            keras.layers.RandAugment(
                value_range=value_range,
                num_ops=config.randaugment,
                factor=config.randaugment_factor,
                seed=seed,
                name="randaugment",
            )
        )
    if config.flip:
        layers.append(keras.layers.RandomFlip(config.flip, seed=seed + 1, name="random_flip"))
    if config.rotation:
        layers.append(
            keras.layers.RandomRotation(
                config.rotation / 360.0, seed=seed + 2, name="random_rotation", **fill
            )
        )
    if config.zoom:
        layers.append(
            keras.layers.RandomZoom(config.zoom, seed=seed + 3, name="random_zoom", **fill)
        )
    if config.crop_scale:
        smallest = math.sqrt(config.crop_scale) - 1.0
        layers.append(
            keras.layers.RandomZoom((smallest, 0.0), seed=seed + 6, name="random_crop", **fill)
        )
    if config.shear:
        layers.append(
            keras.layers.RandomShear(
                config.shear, config.shear, seed=seed + 4, name="random_shear", **fill
            )
        )
    if config.shift:
        layers.append(
            keras.layers.RandomTranslation(
                config.shift / height,
                config.shift / width,
                interpolation="nearest",
                seed=seed + 5,
                name="random_shift",
                **fill,
            )
        )
    if config.brightness:
        layers.append(
            keras.layers.RandomBrightness(
                config.brightness, value_range, seed=seed + 7, name="random_brightness"
            )
        )
    if config.contrast:
        layers.append(
            keras.layers.RandomContrast(
                config.contrast, value_range, seed=seed + 8, name="random_contrast"
            )
        )
    if not layers:
        return None
    augmentation = keras.Sequential(layers, name="augmentation")
    if keras.backend.backend() == "jax":
        # Keras' affine layers say `supports_jit=False` (TensorFlow's transform op has no XLA
        # kernel), which turns jit off for the whole train step; their JAX ops trace.
        for layer in augmentation._flatten_layers():
            layer.supports_jit = True
    return augmentation
