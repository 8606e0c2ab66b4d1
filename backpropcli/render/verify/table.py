"""The terminal view of `backprop verify`: one table of nodes and their verdicts, the named bugs, a count.

Laid out for the terminal's width when drawn (render/fit.py), as check's and eval's tables are: a
node's name or number is never broken, the reasons wrap between words, and long names are given
whole once, below the table. A report here is read by its rows and bugs alone (backpropcli.verify
builds it), so this module needs nothing from the stage that judges.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from rich.console import RenderableType
from rich.text import Text

from ...errors import escaped
from ..cells import UNICODE, Glyphs, number
from ..fit import Column, Footnotes, line, name_limit, table
from . import summary

COLUMNS = (
    Column("node"),
    Column("op"),
    Column("value", True),
    Column("grad", True),
    Column("true grad", True),
    Column("verdict"),
    Column("why", prose=True),
)
ROWS = 60  # a graph up to this size is shown whole; a larger one shows its failures first, up to this many
WIDTH = 120  # str(report): an assertion's message, read in a log


def render(reports: Iterable, glyphs: Glyphs, rows: int | None = ROWS) -> Iterator[RenderableType]:
    """For the command, which writes the closing line itself (to stderr for machine formats)."""
    for report in reports:
        yield View(report, glyphs, rows, closing=False)


class View:
    """One report's verdicts, drawn at whatever width the console offers."""

    def __init__(self, report, glyphs: Glyphs = UNICODE, rows: int | None = ROWS, closing: bool = True) -> None:
        self.report, self.glyphs, self.rows, self.closing = report, glyphs, rows, closing

    def __rich_console__(self, console, options):
        yield from _report(self.report, self.glyphs, self.rows, options.max_width, self.closing)


def _report(report, g: Glyphs, limit: int | None, width: int, closing: bool) -> list:
    notes = Footnotes(name_limit(width), g.cut)
    shown, rest = chosen(report, limit)
    parts: list = [line(f"{escaped(report.source)}: root {notes.short(report.root)}", "bold")]
    long = report.long_names(notes.limit)  # names a reason may quote
    cells: list[list[Text | str]] = []
    for row in shown:
        verdict = Text(f"{g.ok if row.ok else g.bad} {row.verdict}", style="" if row.ok else "red")
        values = [number(row.data), number(row.grad), number(row.true)]
        cells.append([notes.short(row.name), notes.short(row.op), *values, verdict, notes.within(row.why, long)])
    parts.append(table(list(COLUMNS), cells, width, force=True))
    if rest:
        parts.append(Text(f"... and {rest} more nodes, all correct (--rows all shows them)", style="dim"))
    for bug in report.bugs:
        parts.append(Text(f"{g.bad} {bug.title}: {_names(bug.nodes, notes)}", style="red"))
    parts.extend(notes.lines())
    if closing:
        parts.append(Text(summary(report)))
    return parts


def chosen(report, limit: int | None) -> tuple[list, int]:
    """All rows while they fit; else the failing ones first, in root-down order, then correct ones
    (rows are made for these alone: a graph of 10^5 nodes shows 60)."""
    if limit is None or report.size <= limit:
        return list(report.rows), 0
    failing = report.failing()
    shown = failing[:limit] + report.passing(max(0, limit - len(failing)))
    shown.sort(key=lambda r: -r.node)
    return shown, report.size - len(shown)


def text(report, rows: int | None = ROWS) -> str:
    """The table as plain text, 120 columns: str(report), and an assertion's message."""
    from rich.console import Console

    from ..show import show

    out = io.StringIO()
    console = Console(file=out, width=WIDTH, color_system=None, highlight=False, soft_wrap=False, emoji=False)
    show(View(report, UNICODE, rows), console)
    return out.getvalue()


def _names(names: tuple[str, ...], notes: Footnotes, limit: int = 12) -> str:
    shown = ", ".join(notes.short(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
