"""Run a callback once Keras is imported, outside any kzoo module's own import.

`import kzoo` stays light (the catalogue and the command line need no TensorFlow), yet every
kzoo class must be registered with Keras' serialization before a user deserialises a model. So
`kzoo/__init__` calls `when_keras_imported(activate)`: `activate` runs now if Keras is already
imported, else right after the import that brings Keras in ends. While a kzoo module is being
imported it waits until that import is over, so it never sees a half-initialised kzoo module.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable
from typing import Any

WATCHED = "keras"
PACKAGE = "kzoo"


class _Watcher(importlib.abc.MetaPathFinder):
    """Wraps the loaders of `keras` and of every kzoo module to count imports in progress."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.depth = 0
        self.done = False

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if self.done or not (fullname == WATCHED or fullname.startswith(PACKAGE + ".")):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _CountingLoader(spec.loader, self)
                return spec
        return None

    def ready(self) -> bool:
        return WATCHED in sys.modules and self.depth == 0

    def fire(self) -> None:
        if self.done or not self.ready():
            return
        self.done = True
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        self.callback()


class _CountingLoader(importlib.abc.Loader):
    """Delegates to `loader`; fires the watcher when the outermost watched import ends."""

    def __init__(self, loader: Any, watcher: _Watcher) -> None:
        self.loader = loader
        self.watcher = watcher

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.watcher.depth += 1
        try:
            self.loader.exec_module(module)
        finally:
            self.watcher.depth -= 1
        self.watcher.fire()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.loader, name)


def when_keras_imported(callback: Callable[[], None]) -> None:
    """Calls `callback` once Keras is imported and no kzoo module is mid-import (now if so)."""
    watcher = _Watcher(callback)
    if watcher.ready():
        watcher.fire()
        return
    sys.meta_path.insert(0, watcher)
