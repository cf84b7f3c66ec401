"""Runs the Python blocks of one README section, so the README's examples stay true."""

from __future__ import annotations

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def section_code(heading: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end >= 0 else len(text)]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def run_section(heading: str, folder: str | os.PathLike) -> dict:
    """Executes the section's code blocks in `folder` (files they write land there)."""
    blocks = section_code(heading)
    assert blocks, f"README has no python block under '## {heading}'"
    namespace: dict = {}
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for code in blocks:
            exec(compile(code, f"README.md ({heading})", "exec"), namespace)
    finally:
        os.chdir(cwd)
    return namespace
