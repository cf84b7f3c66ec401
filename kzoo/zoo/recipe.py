"""The `recipe` field of a manifest entry: how the weights were trained, as a command to rerun."""

from __future__ import annotations

import shlex
import sys
from typing import Any

import keras


def recipe_record(script: str, args: dict[str, Any], argv: list[str] | None = None) -> dict:
    """`{"script", "command", "args"}` for the running training script.

    The command is the one that is running (`argv`, default `sys.argv[1:]`), prefixed with the
    Keras backend it runs on, so that pasting it into a shell reruns the same training.

    Args:
        script: the script's path from the repository root, e.g. "training/margin_heads.py".
        args: the parsed arguments worth recording (JSON-serialisable values).
        argv: the script's command-line arguments; `sys.argv[1:]` when None.

    Example:
    ```python
    recipe_record("training/trr_mlp.py", {"variant": "trr"}, ["--variant", "trr"])["command"]
    # 'KERAS_BACKEND=jax python training/trr_mlp.py --variant trr' (under JAX)
    ```
    """
    argv = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", script, *argv])
    return {
        "script": script,
        "command": f"KERAS_BACKEND={keras.backend.backend()} {command}",
        "args": args,
    }
