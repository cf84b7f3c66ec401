"""Load a `training/` recipe script as a module (the scripts are not a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

TRAINING = Path(__file__).resolve().parents[2] / "training"


def load_recipe(name: str) -> ModuleType:
    """`training/<name>.py`, imported fresh (its `main(argv)` runs the recipe)."""
    spec = importlib.util.spec_from_file_location(name, TRAINING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
