"""The README's "Coming from PyTorch Metric Learning / TF-Similarity" section is true."""

import re
from pathlib import Path

import keras

import kzoo

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Coming from PyTorch Metric Learning")
    return text[start : text.index("\n## ", start + 1)]


def test_snippet_runs():
    (code,) = re.findall(r"```python\n(.*?)```", _section(), flags=re.S)
    namespace: dict = {}
    exec(compile(code, "README", "exec"), namespace)
    assert int(keras.ops.convert_to_numpy(namespace["xbm"].num_filled)) == 256


def test_every_kzoo_name_in_the_table_exists():
    rows = [line.split("|") for line in _section().splitlines() if line.startswith("| ")]
    kzoo_column = " ".join(row[3] for row in rows[1:])
    names = re.findall(r"`(heads|losses|miners)\.(\w+)", kzoo_column)
    assert len(names) > 20
    for module, name in names:
        assert hasattr(getattr(kzoo, module), name), f"kzoo.{module}.{name}"
