"""Registries of architecture builders (for `pretrained=False`) and evaluators.

A manifest entry names its builder (`"architecture": {"builder": ..., "kwargs": {...}}`) and its
evaluator (`"eval": {"evaluator": ..., ...}`); the code they name registers itself here on import.
Datasets have their own registry beside their loaders (`kzoo.datasets.register_dataset`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from kzoo.zoo.errors import BuilderNotFoundError

_BUILDERS: dict[str, Callable[..., Any]] = {}
_EVALUATORS: dict[str, Callable[..., dict[str, float]]] = {}


def _register(table: dict, kind: str, name: str, fn: Callable | None, overwrite: bool):
    if not isinstance(name, str) or not name:
        raise TypeError(f"`name` must be a non-empty string, got {name!r}.")

    def decorator(func: Callable) -> Callable:
        if not callable(func):
            raise TypeError(f"A {kind} must be callable, got {func!r} for {name!r}.")
        if name in table and table[name] is not func and not overwrite:
            raise ValueError(
                f"A {kind} named {name!r} is already registered; pass overwrite=True to replace it."
            )
        table[name] = func
        return func

    return decorator(fn) if fn is not None else decorator


def _lookup(table: dict, kind: str, name: str) -> Callable:
    if name in table:
        return table[name]
    close = difflib.get_close_matches(name, list(table), n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    known = ", ".join(sorted(table)) or "none"
    raise BuilderNotFoundError(
        f"No {kind} named {name!r} is registered.{hint} Registered: {known}. "
        f"Import the module that defines it (kzoo registers its own on `import kzoo`)."
    )


def register_builder(name: str, fn: Callable[..., Any] | None = None, *, overwrite: bool = False):
    """Registers `fn(**kwargs) -> keras.Model` as the builder `name` (also a decorator)."""
    return _register(_BUILDERS, "builder", name, fn, overwrite)


def get_builder(name: str) -> Callable[..., Any]:
    """The builder registered as `name`; `BuilderNotFoundError` (naming close ones) otherwise."""
    return _lookup(_BUILDERS, "builder", name)


def register_evaluator(
    name: str, fn: Callable[..., dict[str, float]] | None = None, *, overwrite: bool = False
):
    """Registers `fn(model, entry, *, limit, progress, data_dir, **kw) -> {metric: value}`."""
    return _register(_EVALUATORS, "evaluator", name, fn, overwrite)


def get_evaluator(name: str) -> Callable[..., dict[str, float]]:
    """The evaluator registered as `name`; `BuilderNotFoundError` otherwise."""
    return _lookup(_EVALUATORS, "evaluator", name)


def registered_builders() -> list[str]:
    return sorted(_BUILDERS)


def registered_evaluators() -> list[str]:
    return sorted(_EVALUATORS)
