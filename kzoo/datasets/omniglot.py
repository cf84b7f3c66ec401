from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from kzoo.datasets.data_files import DatasetFileError, data_file
from kzoo.datasets.dataset_registry import register_dataset

HELDOUT_ALPHABETS: tuple[str, ...] = ("Balinese", "Korean")
"""The alphabets zoo models are evaluated on: 64 characters, 1,280 drawings."""
OMNIGLOT_SUBSETS = {"small1": ("small1",), "small2": ("small2",), "both": ("small1", "small2")}


class OmniglotData(NamedTuple):
    """Omniglot drawings with their character, alphabet and drawer.

    `images`: uint8 `(n, size, size)`, ink 255 on background 0 (inverted from the
    files' black-on-white, so that it reads like MNIST); `labels`: int64 character
    index into `character_names`; `alphabets`: int64 index into `alphabet_names`;
    `drawers`: int64 drawer number 1..20.
    """

    images: np.ndarray
    labels: np.ndarray
    alphabets: np.ndarray
    drawers: np.ndarray
    alphabet_names: tuple[str, ...]
    character_names: tuple[str, ...]


def _decode_png(data: bytes, size: int | None) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("L")
        if size is not None and image.size != (size, size):
            image = image.resize((size, size), Image.Resampling.BOX)
        return 255 - np.asarray(image, dtype=np.uint8)


def load_omniglot(
    subset: str = "both",
    image_size: int | None = None,
    data_dir: str | os.PathLike | None = None,
) -> OmniglotData:
    """Loads the Omniglot small background sets (Lake et al., Science 2015).

    The files are `images_background_small1.zip` (136 characters, 5 alphabets) and
    `images_background_small2.zip` (156 characters, 5 alphabets); they share the
    Greek and Latin alphabets, which `subset="both"` keeps once: 242 characters of
    8 alphabets, 20 drawings each (4,840 images).

    Args:
        subset: `"small1"`, `"small2"` or `"both"`.
        image_size: resize the 105x105 drawings to `image_size` squared (box filter,
            so thin strokes become grey rather than vanish); `None` keeps 105.
        data_dir: folder holding `omniglot/`; see `kzoo.datasets.data_dirs`.

    Returns:
        An `OmniglotData` named tuple, sorted by alphabet, character and drawer.

    Example:
    >>> data = kzoo.datasets.load_omniglot(image_size=28)
    >>> data.images.shape, len(data.character_names)
    ((4840, 28, 28), 242)
    """
    if subset not in OMNIGLOT_SUBSETS:
        raise ValueError(f"subset must be one of {sorted(OMNIGLOT_SUBSETS)}, got {subset!r}.")
    if image_size is not None and (not isinstance(image_size, int) or image_size < 1):
        raise ValueError(f"image_size must be a positive int or None, got {image_size!r}.")
    drawings: dict[tuple[str, str, str], bytes] = {}
    for name in OMNIGLOT_SUBSETS[subset]:
        path = data_file("omniglot", f"images_background_{name}.zip", data_dir)
        try:
            with zipfile.ZipFile(path) as archive:
                for entry in archive.namelist():
                    parts = entry.split("/")
                    if len(parts) == 4 and parts[3].endswith(".png"):
                        drawings.setdefault(tuple(parts[1:]), archive.read(entry))
        except zipfile.BadZipFile as e:
            raise DatasetFileError(f"Cannot read {path}: {e}.") from e
    keys = sorted(drawings)
    alphabet_names = tuple(sorted({k[0] for k in keys}))
    character_names = tuple(sorted({f"{k[0]}/{k[1]}" for k in keys}))
    alphabet_index = {a: i for i, a in enumerate(alphabet_names)}
    character_index = {c: i for i, c in enumerate(character_names)}
    images = np.stack([_decode_png(drawings[k], image_size) for k in keys])
    labels = np.array([character_index[f"{k[0]}/{k[1]}"] for k in keys], dtype=np.int64)
    alphabets = np.array([alphabet_index[k[0]] for k in keys], dtype=np.int64)
    drawers = np.array([int(k[2].rsplit("_", 1)[1][:-4]) for k in keys], dtype=np.int64)
    return OmniglotData(images, labels, alphabets, drawers, alphabet_names, character_names)


def alphabet_mask(alphabet_names: Sequence[str], alphabets: np.ndarray, chosen: Sequence[str]):
    """Boolean mask of the drawings whose alphabet is one of `chosen` (names, checked)."""
    if isinstance(chosen, str) or not chosen:
        raise ValueError(f"`alphabets` must be a non-empty list of names, got {chosen!r}.")
    unknown = sorted(set(chosen) - set(alphabet_names))
    if unknown:
        raise ValueError(
            f"`alphabets` names {unknown} not in the data's alphabets {list(alphabet_names)}."
        )
    wanted = [i for i, name in enumerate(alphabet_names) if name in set(chosen)]
    return np.isin(alphabets, wanted)


def load_evaluation_drawings(
    alphabets: Sequence[str] = HELDOUT_ALPHABETS,
    image_size: int = 28,
    data_dir: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`(images, labels, drawers, alphabets)` of the drawings of the named alphabets, in
    `load_omniglot`'s order (alphabet, character, drawer); uint8 images."""
    data = load_omniglot("both", image_size=image_size, data_dir=data_dir)
    mask = alphabet_mask(data.alphabet_names, data.alphabets, alphabets)
    return data.images[mask], data.labels[mask], data.drawers[mask], data.alphabets[mask]


def omniglot_split(
    split: str,
    data_dir: str | os.PathLike | None = None,
    alphabets: Sequence[str] = HELDOUT_ALPHABETS,
    image_size: int = 28,
) -> tuple[np.ndarray, np.ndarray]:
    """The registered dataset "omniglot" (`kzoo.evaluation.load_data`, `kzoo export`): drawings
    and `load_omniglot`'s character labels; "test" holds the drawings of the evaluation
    `alphabets`, "train" those of the other alphabets (the open-set models' training set; the
    models trained on all 8 alphabets saw both)."""
    data = load_omniglot("both", image_size=image_size, data_dir=data_dir)
    mask = alphabet_mask(data.alphabet_names, data.alphabets, alphabets)
    mask = mask if split == "test" else ~mask
    return data.images[mask], data.labels[mask]


register_dataset("omniglot", omniglot_split)
