"""Training-time augmentation from Keras preprocessing layers (inactive at inference)."""

from __future__ import annotations

import keras

from kzoo.training.config import AugmentConfig

FLIPS = ("", "horizontal", "vertical", "horizontal_and_vertical")


def build_augmentation(
    config: AugmentConfig,
    image_size: tuple[int, int] | list[int],
    value_range: tuple[float, float] = (0.0, 1.0),
    seed: int = 0,
) -> keras.Sequential | None:
    """The layers `config` asks for, in the order RandAugment, flip, rotation, zoom, shear,
    shift; None when it asks for none.

    Args:
        config: `shift` (pixels, zero fill: the pad-and-crop of CIFAR recipes), `flip` (one of
            `FLIPS`; leave it empty for digits and characters), `rotation` (degrees), `zoom`
            (fraction), `shear` (fraction), `randaugment` (ops per image, 0: off) with
            `randaugment_factor` (magnitude in [0, 1]).
        image_size: (height, width) of the images.
        value_range: the range of the model's input values (RandAugment needs it).
        seed: seeds each layer (seed, seed + 1, ...).
    """
    if config.flip not in FLIPS:
        raise ValueError(f"`augment.flip` must be one of {FLIPS}, got {config.flip!r}.")
    for name in ("shift", "rotation", "zoom", "shear", "randaugment"):
        if getattr(config, name) < 0:
            raise ValueError(f"`augment.{name}` must be >= 0, got {getattr(config, name)}.")
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
    return keras.Sequential(layers, name="augmentation") if layers else None
