"""A worked solution for notes and pull requests: the same tables as the terminal, in Markdown."""

from __future__ import annotations

from collections.abc import Iterator

from ...pipeline import Report
from ..cells import check_cell, closing_line, number, op_cell, sum_text
from . import Options
from .rows import chosen_nodes, chosen_rows, named, remarks

NODE_TEXT = 200  # an unnamed gate's source text is shown whole up to this length


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n"


def render(report: Report, options: Options) -> Iterator[str]:
    g, d = options.glyphs, options.digits
    graph, back, values = report.graph, report.back, report.values
    out = report.output
    yield f"**{out} = {number(report.value, max(12, d))}**\n\n"
    for warning in report.warnings:
        yield f"> warning: {warning}\n\n"
    yield "### Backward pass, gate by gate\n\n"
    head = ["gate", "op", "value", f"upstream ∂{out}/∂gate", "input", "local ∂gate/∂input", "downstream"]
    checks = report.checks
    checked = checks is not None
    yield _row(head + (["sympy"] if checked else []))
    yield _row(["---"] * (len(head) + checked))
    shown, hidden = chosen_rows(report, report.edges, options.rows)
    for gate, pos in shown:
        local = back.partials[gate][pos]
        cells = [
            f"`{graph.text(gate, NODE_TEXT)}`",
            op_cell(graph, gate),
            number(values[gate], d),
            number(back.grads[gate], d),
            f"`{graph.text(graph.nodes[gate].args[pos], NODE_TEXT)}`",
            number(local, d),
            number(back.grads[gate] * local, d),
        ]
        if checks is not None:
            cells.append(check_cell(checks.edges.get((gate, pos)), g))
        yield _row(cells)
    if hidden:
        yield f"\n{hidden} more rows not shown.\n"
    yield f"\n### Gradients of {out}\n\n"
    head = ["name", "value", f"∂{out}/∂name", "sum over edges"] + (["sympy", "check"] if checked else [])
    yield _row(head)
    yield _row(["---"] * len(head))
    ids, hidden = chosen_nodes(report, named(report), options.rows)
    for i in ids:
        node = graph.nodes[i]
        cells = [f"`{node.name}`", number(values[i], d), number(back.grads[i], d), sum_text(report, i, None)]
        if checks is not None:
            formula = checks.formulas.get(i, "")  # whole: notes carry a formula, never cut it
            cells += [f"`{formula}`" if formula else "", check_cell(checks.nodes.get(i), g)]
        yield _row(cells)
    if hidden:
        yield f"\n{hidden} more rows not shown.\n"
    if report.claims:
        yield "\n### Hand-written backward pass\n\n"
        yield _row(["line", "claim", "written", "true", "verdict"])
        yield _row(["---"] * 5)
        for result in report.claims:
            line = graph.source.line_col(result.claim.start)[0]
            mark = g.ok if result.ok else g.bad
            yield _row(
                [
                    str(line),
                    f"`{result.label}`",
                    number(result.written, d),
                    number(result.true, d),
                    f"{mark} {result.verdict}" + (f": {result.why}" if result.why else ""),
                ]
            )
    for note in remarks(report):
        yield f"\n> note: {note}\n"
    yield f"\n{closing_line(report)}\n"
