"""PEP 562 lazy attributes: a package names what it offers, and loads each on first use."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(
    module_name: str, targets: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Returns the `__getattr__` and `__dir__` of a module whose attributes load on first use.

    Args:
        module_name: the module's `__name__`.
        targets: attribute name -> `"package.module"` (the attribute is that module) or
            `"package.module:name"` (the attribute is `name` in that module).

    Example:
        >>> __getattr__, __dir__ = lazy_attributes(__name__, {"load": "kzoo.zoo.loading:load"})
    """

    def __getattr__(name: str) -> Any:
        if name not in targets:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        module, _, attribute = targets[name].partition(":")
        loaded = importlib.import_module(module)
        return getattr(loaded, attribute) if attribute else loaded

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[module_name])) | set(targets))

    return __getattr__, __dir__
