"""The terminal view: the per-gate ledger, the gradients with sympy's formulas, claims, verdict.

Laid out for the terminal's width when it is drawn: no number or name is ever broken. What a gate
does goes to lines below the ledger, formulas too long for a cell below the gradients, long names to
footnotes; a terminal too narrow for the ledger gets it as two tables, the gates and their edges.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from ...crosscheck.state import Check
from ...pipeline import Report
from ..cells import check_cell, closing_line, number, pattern_cell, sum_text
from ..fit import Column, Drawn, Footnotes, line, name_limit, table
from . import Options
from .rows import chosen_nodes, chosen_rows, named, remarks

FORMULA_CELL = 30  # a formula longer than this goes below the table, not in a cell
GATES_LISTED = 6  # gates named on a legend line before the rest are counted
NODE_TEXT = 200  # an unnamed gate's source text is given whole in a footnote up to this length
SUM_TERMS = 8  # terms of a fan-out's sum shown in its cell before '...'


class View:
    """The report, drawn at whatever width the console offers."""

    def __init__(self, report: Report, options: Options) -> None:
        self.report, self.options = report, options

    def __rich_console__(self, console, console_options):
        yield from parts(self.report, self.options, console_options.max_width)


def render(report: Report, options: Options) -> View:
    return View(report, options)


def parts(report: Report, options: Options, width: int) -> list:
    notes = Footnotes(name_limit(width), options.glyphs.cut)
    digits = options.digits
    value = _number(notes, report.value, max(12, digits))
    drawn: list = [line(f"{notes.short(report.output)} = {value}", "bold")]
    drawn += [Text(f"warning: {w}", style="yellow") for w in report.warnings]
    drawn += _ledger(report, options, width, notes)
    drawn += _gradients(report, options, width, notes)
    if report.claims:
        drawn += _claims(report, options, width, notes)
    drawn += notes.lines()
    drawn += [Text(f"note: {n}", style="dim") for n in remarks(report)]
    failed = report.counts()[1]
    drawn.append(Text(closing_line(report), style="bold red" if failed else "bold green"))
    return drawn


def _title(text: str) -> Text:
    return Text("\n" + text, style="bold")


def _ledger(report: Report, options: Options, width: int, notes: Footnotes) -> list:
    g, digits = options.glyphs, options.digits
    graph, back, values = report.graph, report.back, report.values
    checks = report.checks.edges if report.checks else None
    shown, hidden = chosen_rows(report, report.edges, options.rows)
    gates: list[tuple[int, list[str]]] = []
    edges: list[tuple[int, list[str], Check | None]] = []
    for gate, pos in shown:
        if not gates or gates[-1][0] != gate:
            name = notes.short(_text(graph, gate))
            value, upstream = (_number(notes, v, digits) for v in (values[gate], back.grads[gate]))
            row = [name, graph.nodes[gate].op, value, upstream]
            gates.append((gate, row))
        local = back.local(gate, pos)
        cells = [
            notes.short(_text(graph, graph.nodes[gate].args[pos])),
            _number(notes, local, digits),
            _number(notes, back.grads[gate] * local, digits),
        ]
        edges.append((gate, cells, None if checks is None else checks.get((gate, pos))))
    drawn = [_title("Backward pass, gate by gate, in the order backprop visits them")]
    drawn += _ledger_tables(gates, edges, checks is not None, g, width, notes)
    d, out = g.partial, notes.short(report.output)
    legend = f"upstream = {d}{out}/{d}gate, local = {d}gate/{d}input, downstream = upstream {g.times} local"
    drawn.append(Text(legend, style="dim"))
    drawn += _patterns(report, [gate for gate, _ in gates], notes)
    if hidden:
        drawn.append(Text(f"{hidden} more rows not shown (--rows all shows them)", style="dim"))
    return drawn


def _ledger_tables(gates: list, edges: list, checked: bool, g, width: int, notes: Footnotes) -> list:
    """One table, gate and edges on a row, where it fits; else a table of gates and one of edges."""
    heads = dict(gates)
    rows, previous = [], None
    for gate, cells, check in edges:
        first = gate != previous
        previous = gate
        row = (heads[gate] if first else ["", "", "", ""]) + cells
        rows.append(row + ([_check(check, g, notes)] if checked else []))
    columns = [Column("gate"), Column("op"), Column("value", True), Column("upstream", True)]
    columns += [Column("input"), Column("local", True), Column("downstream", True)]
    columns += [Column("sympy", prose=True)] if checked else []
    wide = table(columns, rows, width)
    if wide is not None:
        return [wide]
    head_table = table(columns[:4], [cells for _, cells in gates], width, force=True)
    rows = [
        [heads[gate][0], *cells] + ([_check(check, g, notes, True)] if checked else []) for gate, cells, check in edges
    ]
    return [head_table, Text(""), table([Column("gate"), *columns[4:]], rows, width, force=True)]


def _number(notes: Footnotes, v, digits: int) -> str:
    """A number as a cell shows it: an exact one too long for the cell as its mark (notes.number)."""
    return notes.number(number(v, digits))


def _check(check, g, notes: Footnotes, brief: bool = False) -> Text:
    text = notes.within(check_cell(check, g, brief))
    return Text(text, style="red" if check is not None and check.status == "fail" else "")


def _patterns(report: Report, gates: list[int], notes: Footnotes) -> list[Text]:
    """What each op does to the gradient, one line per wording, naming the gates that do it."""
    graph = report.graph
    said: dict[str, list[str]] = {}
    for gate in gates:
        words = f"{graph.nodes[gate].op} {pattern_cell(graph, gate, lambda i: notes.short(_text(graph, i)))}"
        said.setdefault(words, []).append(notes.short(_text(graph, gate)))
    lines = []
    for words, names in said.items():
        listed = ", ".join(names[:GATES_LISTED])
        if len(names) > GATES_LISTED:
            listed += f" and {len(names) - GATES_LISTED} more"
        lines.append(Text(f"  {words} ({listed})", style="dim"))
    return lines


def _gradients(report: Report, options: Options, width: int, notes: Footnotes) -> list:
    g = options.glyphs
    d, out = g.partial, notes.short(report.output)
    graph, back = report.graph, report.back
    shown, hidden = chosen_nodes(report, named(report), options.rows)
    checks = report.checks
    rows, formulas = [], []
    uses = graph.consumers_of(shown, first=SUM_TERMS + 1)
    for i in shown:
        node = graph.nodes[i]
        kind = "input" if not node.args else ("output" if i == graph.output else "intermediate")
        name = notes.short(node.name)
        value, grad = (_number(notes, v, options.digits) for v in (report.values[i], back.grads[i]))
        rows.append([name, kind, value, grad, sum_text(report, i, SUM_TERMS, uses[i])])
        if checks is not None and checks.formulas.get(i):
            formulas.append((len(rows) - 1, name, notes.within(checks.formulas[i])))
    columns = [Column("name"), Column("kind"), Column("value", True), Column(f"{d}{out}/{d}name", True)]
    columns.append(Column("sum over edges", prose=True))
    drawn: list[Text | Drawn | None] = [_title(f"Gradients of {out}")]
    verdicts = [checks.nodes.get(i) for i in shown] if checks is not None else []
    if formulas and max(cell_len(f) for _, _, f in formulas) <= FORMULA_CELL:
        cells = [""] * len(rows)
        for k, _, formula in formulas:
            cells[k] = formula
        found = _gradient_table([*columns, Column("sympy", prose=True)], rows, cells, verdicts, g, width, notes)
        if found is not None:
            return [*drawn, found, *_hidden(hidden)]
    found = _gradient_table(columns, rows, None, verdicts, g, width, notes)
    drawn += [found, *_hidden(hidden)]
    if formulas:
        drawn.append(Text(f"sympy's {d}{out}/{d}name, as a formula:", style="bold"))
        lines: list[list[Text | str]] = [[f"  {d}{out}/{d}{name}", f"= {formula}"] for _, name, formula in formulas]
        drawn.append(table([Column(""), Column("", prose=True)], lines, width, force=True, header=False))
    return drawn


def _gradient_table(columns: list, rows: list, formulas: list | None, verdicts: list, g, width: int, notes: Footnotes):
    """The gradients with their checks, the checks' numbers left out if that is what makes it fit."""
    if formulas is not None:
        rows = [[*row, formula] for row, formula in zip(rows, formulas, strict=True)]
    if not verdicts:
        return table(columns, rows, width, force=formulas is None)
    columns = [*columns, Column("check", prose=True)]
    for brief, wrap in ((False, False), (True, False), (True, True)):
        checked = [[*row, _check(v, g, notes, brief)] for row, v in zip(rows, verdicts, strict=True)]
        found = table(columns, checked, width, force=wrap and formulas is None, wrap=wrap)
        if found is not None:
            return found
    return None


def _hidden(hidden: int) -> list[Text]:
    return [Text(f"{hidden} more rows not shown (--rows all shows them)", style="dim")] if hidden else []


def _claims(report: Report, options: Options, width: int, notes: Footnotes) -> list:
    g = options.glyphs
    long = [name for name in report.graph.ids if len(name) > notes.limit]  # names a reason may quote
    rows: list[list[Text | str]] = []
    for result in report.claims:
        claim = result.claim
        line_no = report.graph.source.line_col(claim.start)[0]
        mark = g.ok if result.ok else g.bad
        verdict = Text(f"{mark} {result.verdict}", style="" if result.ok else "red")
        cells: list[Text | str] = [
            str(line_no),
            notes.short(result.label),
            _number(notes, result.written, options.digits),
            _number(notes, result.true, options.digits),
            verdict,
        ]
        rows.append([*cells, notes.within(result.why, long)])
    columns = [Column("line", True), Column("claim"), Column("written", True), Column("true", True)]
    columns += [Column("verdict"), Column("why", prose=True)]
    if not any(row[-1] for row in rows):  # every claim right: nothing to say why
        columns, rows = columns[:-1], [row[:-1] for row in rows]
    return [_title("Hand-written backward pass"), table(columns, rows, width, force=True)]


def _text(graph, node: int) -> str:
    return graph.text(node, NODE_TEXT)
