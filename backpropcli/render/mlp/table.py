"""The terminal view of `backprop mlp`: the document of mlp_rows drawn with rich."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ...network.study import Study
from ..cells import Glyphs
from .rows import Grid, document


def render(study: Study, g: Glyphs) -> Group:
    return Group(*(_drawn(part) for part in document(study, g)))


def _drawn(part) -> Text | Table:
    if not isinstance(part, Grid):
        return Text(part.text, style=part.style)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for column in part.columns:  # cells fold when the terminal is narrow: none is cut short or dropped
        table.add_column(
            column, overflow="fold", min_width=len(column), justify="right" if part.right(column) else "left"
        )
    ends = set(part.sections)
    for i, row in enumerate(part.rows, 1):
        table.add_row(*row)
        if i in ends:
            table.add_section()
    return table
