"""The terminal view: the per-gate ledger, the gradients with sympy's formulas, claims, verdict."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ...autodiff import ledger
from ...pipeline import Report
from ..cells import check_cell, closing_line, formula_cell, number, op_cell, sum_text
from . import Options
from .rows import chosen_nodes, chosen_rows


def render(report: Report, options: Options) -> Group:
    parts: list = [Text(f"{report.output} = {number(report.value, 12)}", style="bold")]
    parts.append(_ledger(report, options))
    parts.append(_gradients(report, options))
    if report.claims:
        parts.append(_claims(report, options))
    notes = list(report.checks.notes) if report.checks else ["cross-check not run (--no-check)"]
    parts.extend(Text(f"note: {n}", style="dim") for n in notes)
    failed = report.counts()[1]
    parts.append(Text(closing_line(report), style="bold red" if failed else "bold green"))
    return Group(*parts)


def _table(title: str, *columns: str) -> Table:
    """Every cell folds onto more lines when the table is wider than the terminal: a number cut short
    would read as another number, and rich drops whole columns to fit ones that may not wrap."""
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for col in columns:
        table.add_column(col, overflow="fold", min_width=len(col))
    return table


def _ledger(report: Report, options: Options) -> Table:
    g = options.glyphs
    d, out = g.partial, report.output
    cols = ["gate", "op", "value", "upstream", "input", "local", "downstream"]
    if report.checks:
        cols.append("sympy")
    table = _table("Backward pass, gate by gate, in the order backprop visits them", *cols)
    legend = f"upstream = {d}{out}/{d}gate, local = {d}gate/{d}input, downstream = upstream {g.times} local"
    graph, back, values = report.graph, report.back, report.values
    rows = ledger(graph, back)
    shown, hidden = chosen_rows(report, rows, options.rows)
    previous = None
    for gate, pos in shown:
        node = graph.nodes[gate]
        arg = node.args[pos]
        local = back.partials[gate][pos]
        first = gate != previous
        previous = gate
        cells = [
            graph.text(gate) if first else "",
            op_cell(graph, gate) if first else "",
            number(values[gate]) if first else "",
            number(back.grads[gate]) if first else "",
            graph.text(arg),
            number(local),
            number(back.grads[gate] * local),
        ]
        if report.checks:
            cells.append(check_cell(report.checks.edges.get((gate, pos)), options.glyphs))
        table.add_row(*map(Text, cells))
    table.caption = legend + (f"; {hidden} more rows not shown (--rows all shows them)" if hidden else "")
    table.caption_justify = "left"
    return table


def _gradients(report: Report, options: Options) -> Table:
    d = options.glyphs.partial
    out = report.output
    cols = ["name", "kind", "value", f"{d}{out}/{d}name", "sum over edges"]
    if report.checks:
        cols += ["sympy", "check"]
    table = _table(f"Gradients of {out}", *cols)
    graph, back = report.graph, report.back
    named = [i for i, node in enumerate(graph.nodes) if node.name is not None]
    shown, hidden = chosen_nodes(report, named, options.rows)
    for i in shown:
        node = graph.nodes[i]
        kind = "input" if not node.args else ("output" if i == graph.output else "intermediate")
        cells = [node.name, kind, number(report.values[i]), number(back.grads[i]), sum_text(report, i)]
        if report.checks:
            cells.append(formula_cell(report.checks.formulas.get(i, "")))
            cells.append(check_cell(report.checks.nodes.get(i), options.glyphs))
        table.add_row(*map(Text, cells))
    if hidden:
        table.caption = f"{hidden} more rows not shown (--rows all shows them)"
        table.caption_justify = "left"
    return table


def _claims(report: Report, options: Options) -> Table:
    g = options.glyphs
    table = _table("Hand-written backward pass", "line", "claim", "written", "true", "verdict")
    for result in report.claims:
        claim = result.claim
        line = report.graph.source.line_col(claim.start)[0]
        mark = g.ok if result.ok else g.bad
        verdict = f"{mark} {result.verdict}" + (f": {result.why}" if result.why else "")
        table.add_row(*map(Text, [str(line), result.label, number(result.written), number(result.true), verdict]))
    return table
