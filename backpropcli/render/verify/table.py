"""The terminal view of `backprop verify`: one table of nodes and their verdicts, the named bugs, a count.

A report here is read by its rows and bugs alone (backpropcli.verify builds it), so this module
needs nothing from the stage that judges.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ...errors import escaped
from ..cells import UNICODE, Glyphs, number
from . import summary

COLUMNS = ("node", "op", "value", "grad", "true grad", "verdict", "why")
ROWS = 60  # a graph up to this size is shown whole; a larger one shows its failures first, up to this many


def render(reports: Iterable, glyphs: Glyphs, rows: int | None = ROWS) -> Iterator[RenderableType]:
    """For the command, which writes the closing line itself (to stderr for machine formats)."""
    for report in reports:
        yield renderable(report, glyphs, rows, closing=False)


def renderable(report, glyphs: Glyphs = UNICODE, rows: int | None = ROWS, closing: bool = True) -> RenderableType:
    shown, rest = chosen(report, rows)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in COLUMNS:
        table.add_column(col, overflow="fold", min_width=min(len(col), 5))
    for row in shown:
        mark = glyphs.ok if row.ok else glyphs.bad
        cells = [row.name, row.op, number(row.data), number(row.grad), number(row.true), f"{mark} {row.verdict}"]
        style = "" if row.ok else "red"
        table.add_row(*(Text(c, style=style if k == 5 else "") for k, c in enumerate(cells)), Text(row.why))
    parts: list[RenderableType] = [Text(f"{escaped(report.source)}: root {report.root}", style="bold"), table]
    if rest:
        parts.append(Text(f"... and {rest} more nodes, all correct (--rows all shows them)", style="dim"))
    for bug in report.bugs:
        parts.append(Text(f"{glyphs.bad} {bug.title}: {_names(bug.nodes)}", style="red"))
    if closing:
        parts.append(Text(summary(report)))
    return Group(*parts)


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

    from ..fit import fitted

    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, highlight=False, soft_wrap=False, emoji=False)
    console.print(fitted(renderable(report, UNICODE, rows), console), crop=False)
    return out.getvalue()


def _names(names: tuple[str, ...], limit: int = 12) -> str:
    shown = ", ".join(escaped(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
