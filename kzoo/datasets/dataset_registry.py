"""The registry of datasets by name: how a zoo entry's `eval.dataset` finds its loader.

A loader is `fn(split, data_dir=None, **kwargs) -> (inputs, labels)` with raw inputs (e.g. uint8
images; the entry's input spec scales them). kzoo's own datasets register themselves beside
their loaders (`mnist`, `fashion_mnist`, `omniglot`, `trr_synthetic`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

_DATASETS: dict[str, Callable[..., Any]] = {}


class UnknownDatasetError(KeyError):
    """No dataset is registered under this name (suggests close names)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def register_dataset(name: str, fn: Callable[..., Any] | None = None, *, overwrite: bool = False):
    """Registers `fn(split, data_dir=None, **kwargs) -> (inputs, labels)` as dataset `name`.

    Usable as a decorator. `kzoo.evaluation.load_split` reads an entry's `eval.dataset` through
    it (with `eval.dataset_kwargs`).

    Example:
    ```python
    @kzoo.datasets.register_dataset("my_faces")
    def my_faces(split, data_dir=None):
        return images, labels
    ```
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"`name` must be a non-empty string, got {name!r}.")

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(func):
            raise TypeError(f"A dataset must be callable, got {func!r} for {name!r}.")
        if name in _DATASETS and _DATASETS[name] is not func and not overwrite:
            raise ValueError(
                f"A dataset named {name!r} is already registered; pass overwrite=True to replace "
                "it."
            )
        _DATASETS[name] = func
        return func

    return decorator(fn) if fn is not None else decorator


def get_dataset(name: str) -> Callable[..., Any]:
    """The loader registered as `name`; `UnknownDatasetError` (naming close ones) otherwise."""
    if name in _DATASETS:
        return _DATASETS[name]
    close = difflib.get_close_matches(name, list(_DATASETS), n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    known = ", ".join(sorted(_DATASETS)) or "none"
    raise UnknownDatasetError(
        f"No dataset named {name!r} is registered.{hint} Registered: {known}. "
        "Import the module that defines it (kzoo registers its own on `import kzoo`)."
    )


def registered_datasets() -> list[str]:
    return sorted(_DATASETS)
