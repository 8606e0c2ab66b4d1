"""The terminal view of `backprop check`: per file, one table of its claims and their verdicts.

Laid out for the terminal's width when drawn (render/fit.py): a claim name or number is never
broken; the reasons wrap between words, and long names are given whole once, below the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rich.console import RenderableType
from rich.text import Text

from ...errors import escaped
from ...grading import FileResult
from ..cells import Glyphs, number
from ..fit import Column, Footnotes, line, name_limit, table
from .rows import rows

COLUMNS = (
    Column("line", True),
    Column("claim"),
    Column("written", True),
    Column("true", True),
    Column("verdict"),
    Column("why", prose=True),
)


def render(
    results: Iterable[FileResult], glyphs: Glyphs, quiet: bool = False, digits: int = 6
) -> Iterator[RenderableType]:
    """Each file's table; with `quiet`, only the files with a failure, and only their failing lines.
    A file that is bad input has its error on stderr (with line and caret) and nothing here."""
    for result in results:
        if result.error is not None or (quiet and not result.warnings and all(row.ok for row in rows(result))):
            continue
        yield View(result, glyphs, quiet, digits)


class View:
    """One file's verdicts, drawn at whatever width the console offers."""

    def __init__(self, result: FileResult, glyphs: Glyphs, quiet: bool = False, digits: int = 6) -> None:
        self.result, self.glyphs, self.quiet, self.digits = result, glyphs, quiet, digits

    def __rich_console__(self, console, options):
        yield from _file(self.result, self.glyphs, options.max_width, self.quiet, self.digits)


def _file(result: FileResult, g: Glyphs, width: int, quiet: bool, digits: int) -> list:
    assert result.graph is not None  # a file without an error was parsed
    notes = Footnotes(name_limit(width), g.cut)
    out = notes.short(result.graph.nodes[result.graph.output].name)
    head = line(f"{escaped(result.path)}: {out} = {notes.number(number(result.value, max(12, digits)))}", "bold")
    warnings = [Text(f"warning: {w}", style="yellow") for w in result.warnings]
    found = [row for row in rows(result, digits) if not (quiet and row.ok)]
    if not found:
        return [head, *warnings, Text("")]
    long = [name for name in result.graph.ids if len(name) > notes.limit]  # names a reason may quote
    cells: list[list[Text | str]] = []
    for row in found:
        mark = g.ok if row.ok else g.bad
        verdict = Text(f"{mark} {row.verdict}", style="" if row.ok else "red")
        why = notes.within(row.why, long)
        written, true = notes.number(row.written), notes.number(row.true)
        cells.append([str(row.line), notes.short(row.claim), written, true, verdict, why])
    return [head, *warnings, table(list(COLUMNS), cells, width, force=True), *notes.lines(), Text("")]
