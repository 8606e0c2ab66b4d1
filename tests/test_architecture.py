"""The shape of the code: a one-way pipeline, and one table that names the ops."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from backpropcli.ops import OPS

PACKAGE = Path(__file__).parent.parent / "backpropcli"

# Each stage may import only from stages before it (or from its own folder).
LAYERS = [
    ["status", "collector"],
    ["errors"],
    ["ops"],
    ["graph"],
    ["parse"],
    ["autodiff"],
    ["crosscheck"],
    ["claims"],
    ["pipeline"],
    ["monomial"],
    ["grading", "explain"],
    ["network"],
    ["render"],
    ["engines"],
    ["testing"],
    ["commands"],
    ["cli"],
    ["__init__", "__main__"],
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# Report's notebook views (_repr_html_, _repr_markdown_) import the explanation and its renderers
# inside a function, when a notebook asks: the only imports against the flow, never at module level.
LATE = {("pipeline", "explain"), ("pipeline", "render")}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield pytest.param(path, parts, id="/".join(parts))


def stage(parts: tuple[str, ...]) -> str:
    return parts[0]


def imported(path: Path, parts: tuple[str, ...]):
    """The package-internal modules a file imports, as their top-level stage names."""
    return _imported_in(ast.parse(path.read_text(encoding="utf-8")), parts)


def _imported_in(tree: ast.AST, parts: tuple[str, ...]):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(parts[: len(parts) - node.level])
            target = base + (node.module.split(".") if node.module else [])
            if target:
                yield target[0]
            else:  # `from . import x`: a submodule, or package metadata such as __version__
                yield from (alias.name for alias in node.names if not alias.name.startswith("__"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("backpropcli"):
            rest = node.module.split(".")[1:]
            yield rest[0] if rest else "__init__"


@pytest.mark.parametrize(("path", "parts"), list(modules()))
def test_imports_flow_one_way(path, parts):
    mine = stage(parts)
    assert mine in RANK, f"{mine} is not placed in LAYERS"
    for other in imported(path, parts):
        if other == mine:
            continue
        assert other in RANK, f"{'/'.join(parts)} imports {other}, which is not placed in LAYERS"
        late = (mine, other) in LATE and other not in _module_level(path, parts)
        allowed = RANK[other] < RANK[mine] or (mine == "__init__" and other != "cli") or late
        assert allowed, f"{'/'.join(parts)} (stage {mine}) imports the later stage {other}"


def _module_level(path: Path, parts: tuple[str, ...]) -> set[str]:
    """The stages a file imports outside any function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = ast.Module(
        body=[n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom | ast.If)], type_ignores=[]
    )
    return set(_imported_in(top, parts))


def _strings(tree: ast.AST):
    docstrings = {
        id(body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and (body := node.body)
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


@pytest.mark.parametrize(("path", "parts"), [p for p in modules() if p.values[1] != ("ops",)])
def test_only_the_op_table_names_an_op(path, parts):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    named = [(node.lineno, node.value) for node in _strings(tree) if node.value in OPS]
    assert not named, f"{'/'.join(parts)} names ops {named}: put the behaviour in the op table"
