"""The evaluation data path: a registered dataset's split, preprocessed, through the model.

`load_split` reads raw inputs through the dataset registry (`kzoo.datasets.register_dataset`),
`preprocess` applies an entry's `InputSpec`, `predict` runs the model batch by batch; `load_data`
gives both splits of an entry's dataset, model-ready (what `kzoo export` calibrates and verifies
on). Every evaluator reads its data this way.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from keras import ops
from tqdm.auto import tqdm

from kzoo.datasets.dataset_registry import get_dataset
from kzoo.zoo.catalogue import ManifestLike, resolve
from kzoo.zoo.entry_fields import InputSpec
from kzoo.zoo.model_entry import ModelEntry


def load_split(
    dataset: str,
    split: str,
    data_dir: str | os.PathLike | None = None,
    **kwargs: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels) of `split` ('train' or 'test') of a registered dataset (raw inputs)."""
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test', got {split!r}.")
    return get_dataset(dataset)(split, data_dir, **kwargs)


def preprocess(images: np.ndarray, spec: InputSpec) -> np.ndarray:
    """`images * scale + offset`, then `(x - mean) / std` if given, in the input shape."""
    x = images.astype("float32") * float(spec.scale) + float(spec.offset)
    if spec.mean is not None:
        x = (x - float(spec.mean)) / float(1.0 if spec.std is None else spec.std)
    return x.reshape((len(x), *spec.shape)).astype(spec.dtype)


def load_data(
    name: str | ModelEntry,
    *,
    manifest: ManifestLike = None,
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Model-ready `(x_train, y_train), (x_test, y_test)` of a zoo entry's evaluation dataset."""
    entry = resolve(name, manifest)
    splits = []
    for split in ("train", "test"):
        images, labels = load_split(
            entry.eval.dataset, split, data_dir, **(entry.eval.dataset_kwargs or {})
        )
        splits.append((preprocess(images, entry.input), labels.astype("int64")))
    return splits[0], splits[1]


def predict(
    model: Any, x: np.ndarray, batch_size: int = 256, progress: bool = True, desc: str = "eval"
) -> list:
    """The model's outputs on `x`, batch by batch with a progress bar; always a list of arrays."""
    chunks: list[list[np.ndarray]] = []
    starts = range(0, len(x), batch_size)
    for start in tqdm(starts, desc=desc, unit="batch", disable=not progress, leave=False):
        out = model(x[start : start + batch_size], training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        chunks.append([np.asarray(ops.convert_to_numpy(o)) for o in out])
    return [np.concatenate(parts) for parts in zip(*chunks, strict=True)]


def named_outputs(
    model: Any,
    entry: ModelEntry,
    images: np.ndarray,
    batch_size: int = 256,
    progress: bool = True,
    desc: str = "eval",
) -> dict[str, np.ndarray]:
    """`{output name: array}` of the model on raw `images` (preprocessed by `entry.input`)."""
    outputs = predict(model, preprocess(images, entry.input), batch_size, progress, desc=desc)
    return dict(zip(entry.outputs, outputs, strict=True))
