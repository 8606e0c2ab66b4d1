"""The terminal view of `backprop check`: per file, one table of its claims and their verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ...errors import escaped
from ...grading import FileResult
from ..cells import Glyphs, number
from .rows import rows

COLUMNS = ("line", "claim", "written", "true", "verdict", "why")


def render(results: Iterable[FileResult], glyphs: Glyphs, digits: int = 6) -> Iterator[RenderableType]:
    for result in results:
        yield _file(result, glyphs, digits)


def _file(result: FileResult, g: Glyphs, digits: int = 6) -> RenderableType:
    if result.error is not None:
        return Text(f"{escaped(result.path)}: not checked: {result.error.message}", style="bold red")
    out = result.graph.nodes[result.graph.output].name
    head = Text(f"{escaped(result.path)}: {out} = {number(result.value, max(12, digits))}", style="bold")
    found = rows(result, digits)
    notes = [Text(f"warning: {w}", style="yellow") for w in result.warnings]
    if not found:
        return Group(head, *notes, Text(""))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in COLUMNS:  # every cell folds: a claim name or number cut short would read as another one
        table.add_column(col, overflow="fold", min_width=len(col))
    for row in found:
        mark = g.ok if row.ok else g.bad
        cells = [str(row.line), row.claim, row.written, row.true, f"{mark} {row.verdict}", row.why]
        table.add_row(*(Text(c, style="red" if not row.ok and i == 4 else "") for i, c in enumerate(cells)))
    return Group(head, table, *notes, *([Text("")] if notes else []))
