"""Output drawn at the console's width: each line without the spaces that pad it out, a line wider
than the console written whole, and rich's own tables (mlp's, the graph's) given widths that keep
them within the console where rich would cut them. Tables of fit.py are drawn to their own widths.
"""

from __future__ import annotations


def fitted(renderable, console):
    """The renderable with each table in it fitted to the console's width; print it with crop=False.

    Table cells fold onto more lines to fit, each column at least as wide as its heading. When
    narrowing the widest columns is not enough, rich narrows every column evenly, then widens the
    ones it took below their heading back: the table comes out wider than the console, which would
    cut every line at its edge, so a number loses its last digits and the last columns are gone.
    Such a table gets its widths chosen here instead. crop=False writes a line wider than the
    console whole, for a console too narrow even for that.
    """
    from rich.console import Group
    from rich.table import Table

    if isinstance(renderable, Group):
        return Group(*(fitted(part, console) for part in renderable.renderables))
    return _fitted_table(renderable, console) if isinstance(renderable, Table) and renderable.rows else renderable


def _fitted_table(table, console):
    """The table as it is if rich draws it within the console, else a copy with a fixed width per
    column: the widest narrowed first, down to a common cap, none below its heading (or its widest
    cell, when that is narrower) unless the headings alone are too wide. A console with less room
    than one character per column gets a table wider than itself."""
    import copy
    import dataclasses

    from rich.measure import Measurement
    from rich.segment import Segment

    def measure(part) -> Measurement:
        return Measurement.get(console, console.options, part)

    # Rich lays a column out by its widest cell and its longest unbreakable word alone, so a table
    # of these two cells per column is drawn as wide as the whole table, at a fraction of the cost.
    probe = copy.copy(table)
    probe.columns, probe.rows = [], []
    extremes, natural = [], []
    for column in table.columns:
        sizes = [(measure(cell), cell) for cell in column.cells]
        extremes.append((max(sizes, key=lambda s: s[0].maximum)[1], max(sizes, key=lambda s: s[0].minimum)[1]))
        widest = max(size.maximum for size, _ in sizes)
        natural.append(max(widest, measure(column.header).maximum if table.show_header else 0, 1))
        probe.add_column(
            column.header,
            overflow=column.overflow,
            width=column.width,
            min_width=column.min_width,
            max_width=column.max_width,
            ratio=column.ratio,
            no_wrap=column.no_wrap,
        )
    for row in zip(*extremes, strict=True):
        probe.add_row(*row)
    bare = copy.copy(probe)
    bare.columns = [dataclasses.replace(column, width=0) for column in probe.columns]
    overhead = Measurement.get(console, console.options.update_width(1 << 20), bare).maximum  # padding, rules
    room = console.width - overhead
    if sum(natural) <= room:
        return table
    lines = Segment.split_lines(console.render(probe, console.options))
    if max(Segment.get_line_length(line) for line in lines) <= console.width:
        return table
    floor = [min(n, max(column.min_width or 1, 1)) for n, column in zip(natural, table.columns, strict=True)]
    if sum(floor) > room:  # the headings alone are too wide: they fold too
        floor = [1] * len(natural)

    def widths(cap: int) -> list[int]:
        return [min(n, max(f, cap)) for n, f in zip(natural, floor, strict=True)]

    cap = max(natural)
    while cap > 1 and sum(widths(cap)) > room:
        cap -= 1
    chosen = widths(cap)
    spare = room - sum(chosen)
    for i in sorted(range(len(natural)), key=lambda i: -natural[i]):  # what the cap leaves, widest first
        if spare > 0 and chosen[i] < natural[i]:
            chosen[i] += 1
            spare -= 1
    narrowed = copy.copy(table)
    narrowed.columns = [dataclasses.replace(column, width=w) for column, w in zip(table.columns, chosen, strict=True)]
    narrowed.width = overhead + sum(chosen)  # rich would narrow a table wider than the console evenly again
    return narrowed


def show(renderable, console) -> None:
    """A rich renderable drawn at the console's width, each line without the spaces that pad it out
    to the width (a blank line is empty), and a line wider than the console written whole."""
    from rich.segment import Segment, Segments

    drawn = console.render(fitted(renderable, console), console.options)
    kept: list[Segment] = []
    for found in Segment.split_lines(drawn):
        segments = list(found)
        while segments and not segments[-1].control and not segments[-1].text.rstrip():
            segments.pop()
        if segments and not segments[-1].control:
            last = segments[-1]
            segments[-1] = Segment(last.text.rstrip(), last.style)
        kept.extend(segments)
        kept.append(Segment.line())
    console.print(Segments(kept), end="", soft_wrap=True)
