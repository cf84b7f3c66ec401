"""Training data for the engine: a registered dataset or an image folder, as model-ready arrays,
and the batches `fit` reads (shuffled, or P x K by class), with the inputs each objective takes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from kzoo.datasets import HELDOUT_ALPHABETS, MPerClassSampler, load_omniglot, register_dataset
from kzoo.datasets.omniglot import alphabet_mask
from kzoo.evaluation import load_split
from kzoo.evaluation import preprocess as preprocess_spec
from kzoo.training.config import TrainConfig
from kzoo.zoo.entry_fields import InputSpec

IMAGE_FOLDER = "image_folder"


@dataclass
class TrainingData:
    """Model-ready training arrays and what the entry needs to know about them."""

    x: np.ndarray
    y: np.ndarray
    input_spec: dict[str, Any]
    num_classes: int
    class_names: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _folder_splits(directory: str) -> tuple[str, str] | None:
    train, test = os.path.join(directory, "train"), os.path.join(directory, "test")
    return (train, test) if os.path.isdir(train) and os.path.isdir(test) else None


@register_dataset(IMAGE_FOLDER)
def load_image_folder(
    split: str,
    data_dir: str | os.PathLike | None = None,
    directory: str = "",
    image_size: tuple[int, int] | list[int] = (28, 28),
    color_mode: str = "grayscale",
    validation_split: float = 0.2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """`(images 0..255 float32, labels)` of an image folder (`image_dataset_from_directory`
    layout: one sub-folder per class). With `train/` and `test/` sub-folders those are the
    splits; otherwise "test" is a seeded `validation_split` fraction of the images, "train" the
    rest. The whole split is read into memory."""
    directory = os.fspath(directory or data_dir or "")
    if not os.path.isdir(directory):
        raise ValueError(f"`directory` must be an image folder, got {directory!r}.")
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    kwargs = dict(
        labels="inferred",
        label_mode="int",
        color_mode=color_mode,
        image_size=tuple(image_size),
        batch_size=None,
        verbose=False,
    )
    splits = _folder_splits(directory)
    if splits is not None:
        dataset = keras.utils.image_dataset_from_directory(
            splits[split == "test"], shuffle=False, **kwargs
        )
    elif not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"`validation_split` must be in (0, 1) for a folder without train/ and test/, got "
            f"{validation_split}."
        )
    else:
        dataset = keras.utils.image_dataset_from_directory(
            directory,
            shuffle=True,
            seed=seed,
            validation_split=validation_split,
            subset="validation" if split == "test" else "training",
            **kwargs,
        )
    images, labels = [], []
    for image, label in dataset.as_numpy_iterator():
        images.append(image)
        labels.append(label)
    if not images:
        raise ValueError(f"no images found in {directory!r} ({split} split).")
    return np.stack(images).astype("float32"), np.asarray(labels, dtype="int64")


def folder_class_names(directory: str) -> list[str]:
    root = (_folder_splits(directory) or (directory,))[0]
    return sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))


def preprocess(images: np.ndarray, spec: dict[str, Any]) -> np.ndarray:
    """`images` as the model takes them, by the entry's input spec (a dict)."""
    return preprocess_spec(images, InputSpec.from_dict(spec))


def input_spec(config: TrainConfig, shape: list[int]) -> dict[str, Any]:
    return {
        "shape": list(shape),
        "dtype": "float32",
        "scale": config.data.scale,
        "offset": config.data.offset,
    }


def dataset_kwargs(config: TrainConfig) -> dict[str, Any]:
    """`eval.dataset_kwargs` of the entry (the image folder's location and split rule)."""
    if config.data.dataset != IMAGE_FOLDER:
        return dict(config.data.kwargs)
    return {
        "directory": os.path.abspath(config.data.directory),
        "image_size": list(config.data.image_size),
        "color_mode": config.data.color_mode,
        "validation_split": config.data.validation_split,
        "seed": config.seed,
    }


def load_training_data(config: TrainConfig) -> TrainingData:
    """The training split the config names, preprocessed (`input * scale + offset`)."""
    data, names, extra = config.data, [], {}
    if data.directory and data.dataset != IMAGE_FOLDER:
        data.dataset = IMAGE_FOLDER
    if data.dataset == IMAGE_FOLDER:
        images, labels = load_image_folder("train", **dataset_kwargs(config))
        names = folder_class_names(data.directory)
    elif data.dataset == "omniglot":
        images, labels, names, alphabets = omniglot_training_data(**data.kwargs)
        extra["alphabets"] = alphabets
    else:
        images, labels = load_split(data.dataset, "train", **data.kwargs)
    if data.train_limit:
        images, labels = images[: data.train_limit], labels[: data.train_limit]
    spec = input_spec(config, [*images.shape[1:], 1] if images.ndim == 3 else images.shape[1:])
    num_classes = len(names) if names else int(labels.max()) + 1
    return TrainingData(
        preprocess(images, spec), labels.astype("int32"), spec, num_classes, names, extra
    )


def load_test_data(config: TrainConfig, spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The evaluation split of the training dataset (for the per-epoch monitor)."""
    name = config.evaluate.dataset or config.data.dataset
    images, labels = load_split(name, "test", **dataset_kwargs(config))
    return preprocess(images, spec), labels.astype("int64")


def omniglot_training_data(split: str = "heldout", image_size: int = 28, rotations: int = 1):
    """`(images, character labels 0..C-1, character names, alphabet names)`; "heldout" leaves out
    the evaluation alphabets (open-set), "all" keeps all 8. `rotations` = 4 adds each character
    rotated by 90, 180 and 270 degrees as a new character (Santoro et al.; Vinyals et al.):
    (2 adds the 180-degree copy only); class `r * C + c` is character `c` turned by
    `r * 360 / rotations` degrees."""
    if split not in ("heldout", "all"):
        raise ValueError(f"`data.kwargs.split` must be 'heldout' or 'all', got {split!r}.")
    if rotations not in (1, 2, 4):
        raise ValueError(f"`data.kwargs.rotations` must be 1, 2 or 4, got {rotations!r}.")
    data = load_omniglot("both", image_size=image_size)
    keep = np.ones(len(data.labels), bool)
    if split == "heldout":
        keep = ~alphabet_mask(data.alphabet_names, data.alphabets, HELDOUT_ALPHABETS)
    characters, labels = np.unique(data.labels[keep], return_inverse=True)
    alphabets = sorted({data.alphabet_names[a] for a in np.unique(data.alphabets[keep])})
    names = [data.character_names[c] for c in characters]
    images, turns = data.images[keep], range(0, 4, 4 // rotations)
    images = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in turns])
    labels = np.concatenate([labels + r * len(names) for r in range(rotations)])
    names = [name if k == 0 else f"{name} (rotated {90 * k})" for k in turns for name in names]
    return images, labels.astype("int32"), names, alphabets


class Batches(keras.utils.PyDataset):
    """Batches of `(x, y)` for `fit`: a seeded shuffle per epoch, or an `MPerClassSampler`.

    `inputs`: "image" (x alone), "image+label" (`{"image", "label"}`: margin heads, learned
    betas) or "image+id" (`{"image", "id"}`, the sample's index: instance discrimination, whose
    targets are the ids). `num_classes` one-hot encodes the targets (for label smoothing).
    `drop_remainder` leaves out a last, smaller batch (data parallel: every batch must split
    evenly over the devices).
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        *,
        inputs: str = "image",
        sampler: MPerClassSampler | None = None,
        num_classes: int | None = None,
        seed: int = 0,
        drop_remainder: bool = False,
    ) -> None:
        super().__init__()
        self.x, self.y, self.batch_size = x, np.asarray(y, "int32"), batch_size
        self.inputs, self.sampler, self.num_classes, self.seed = inputs, sampler, num_classes, seed
        self.drop_remainder = drop_remainder
        self.epoch = 0
        self.order = self._order()

    def _order(self) -> np.ndarray:
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.x))

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:
            self.epoch = epoch
            self.order = self._order()

    def __len__(self) -> int:
        if self.sampler is not None:
            return len(self.sampler)
        if self.drop_remainder:
            return len(self.x) // self.batch_size
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index: int):
        if self.sampler is not None:
            rows = self.sampler.batch(index)
        else:
            rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        x, y = self.x[rows], self.y[rows]
        if self.inputs == "image+id":
            y = rows.astype("int32")
            return {"image": x, "id": y}, y
        target = y if self.num_classes is None else np.eye(self.num_classes, dtype="float32")[y]
        return ({"image": x, "label": y}, target) if self.inputs == "image+label" else (x, target)

    def on_epoch_end(self) -> None:
        if self.sampler is not None:
            self.sampler.on_epoch_end()
        self.set_epoch(self.epoch + 1)
