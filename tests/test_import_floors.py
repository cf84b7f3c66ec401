"""kzoo's imports run down the floors only, and its packages import each other without circles.

Every `import` in kzoo/ counts, at module level or inside a function (a lazy import hides a circle,
it does not remove one). A package may import its own modules, any package on a lower floor, and
the packages listed before it on its own floor; `kzoo/__init__.py` is the facade above them all
(only the command line may import it whole).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "kzoo"

FLOORS: tuple[tuple[str, ...], ...] = (
    ("utils", "version", "testing"),
    ("ops",),
    ("layers", "heads", "miners"),
    ("losses", "metrics", "callbacks", "index"),
    ("models",),
    ("datasets",),
    ("export", "hub", "zoo", "publishing", "evaluation", "training"),
    ("cli",),
)
"""Lowest first. On the application floor the order is the tuple's: the Hub transport knows
nothing of the catalogue, the catalogue loads through it, publishing renders and pins catalogue
entries, evaluation measures them, and export knows none of them."""

ORDER = {pkg: (floor, i) for floor, pkgs in enumerate(FLOORS) for i, pkg in enumerate(pkgs)}
ZOO_SIDE = {"zoo", "hub", "publishing", "evaluation", "training", "cli"}


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "kzoo" and len(parts) > 1 else None


def _imports(path: Path) -> list[tuple[str, int]]:
    """`(imported kzoo module, line)` for every import in the file (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            if base != "kzoo":
                out.append((base, node.lineno))
            out += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return [(m, line) for m, line in out if m == "kzoo" or m.startswith("kzoo.")]


def _edges() -> list[tuple[str, str, str]]:
    """`(from package, to package, where)` for every import between two kzoo packages."""
    edges = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts == ("__init__.py",):
            continue  # the facade
        source = rel.parts[0].removesuffix(".py")
        for module, line in _imports(path):
            target = _package(module)
            if target is None:
                if module == "kzoo":
                    edges.append((source, "kzoo", f"kzoo/{rel}:{line}"))
                continue
            if target != source:
                edges.append((source, target, f"kzoo/{rel}:{line}"))
    return edges


def test_every_package_has_a_floor():
    packages = {p.name.removesuffix(".py") for p in ROOT.iterdir()}
    packages -= {"__init__", "__pycache__", "py.typed"}
    assert packages <= set(ORDER), f"add {sorted(packages - set(ORDER))} to FLOORS"


def test_imports_run_down_the_floors():
    upward = [
        f"{where}: {source} imports {target}"
        for source, target, where in _edges()
        if (target == "kzoo" and source != "cli")
        or (target != "kzoo" and (target not in ORDER or ORDER[target] >= ORDER[source]))
    ]
    assert not upward, "imports running up (or sideways against the order):\n" + "\n".join(upward)


def test_no_import_circles_between_packages():
    graph: dict[str, set[str]] = {}
    for source, target, _ in _edges():
        if target == "kzoo":
            continue
        graph.setdefault(source, set()).add(target)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail(f"import circle: {' -> '.join([*path, node, nxt])}")
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_export_knows_nothing_of_the_zoo():
    bad = [
        f"{where}: export imports {target}"
        for source, target, where in _edges()
        if source == "export" and target in ZOO_SIDE
    ]
    assert not bad, "\n".join(bad)


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "kzoo" / "ops" / "bad.py"
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    from kzoo.zoo import load\n    from . import other\n")
    assert ("kzoo.zoo.load", 2) in _imports_at(module, tmp_path / "kzoo")
    assert ("kzoo.ops.other", 3) in _imports_at(module, tmp_path / "kzoo")


def _imports_at(path: Path, root: Path) -> list[tuple[str, int]]:
    global ROOT
    saved, ROOT = ROOT, root
    try:
        return _imports(path)
    finally:
        ROOT = saved
