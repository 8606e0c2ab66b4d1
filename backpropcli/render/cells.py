"""How numbers, checks and nodes read in every output format: one vocabulary for all renderers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..crosscheck import Check
from ..explain import grouped, pattern_text
from ..graph import Graph
from ..ops import OPS, Number
from ..pipeline import Report


@dataclass(frozen=True)
class Glyphs:
    """Marks for verdicts; plain ASCII where the terminal cannot show the others."""

    ok: str = "✓"
    bad: str = "✗"
    kink: str = "◇"
    skip: str = "\u2013"  # en dash
    partial: str = "∂"
    times: str = "\u00d7"  # multiplication sign
    delta: str = "\u03b4"  # delta: dL/dz of a layer
    levels: str = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"  # lower eighth block up to full block
    cut: str = "\u2026"  # ellipsis: a long name shortened, given whole in a footnote


ASCII = Glyphs("ok", "FAIL", "kink", "-", "d", "x", "delta", "_.:-=+*#", "...")
UNICODE = Glyphs()


def number(v: Number | None, digits: int = 6) -> str:
    """Exact values as written (44, 1/3); floats to `digits` significant figures; a gradient that does
    not exist (None, or the nan of a missing slope) as `undefined`."""
    if v is None or v != v:
        return "undefined"
    if type(v) is float:
        text = f"{v:.{digits}g}"
        return "0" if text == "-0" else text
    return str(v)


def json_number(v: Number) -> int | float | None:
    """A number for JSON: ints as they are, a fraction as its nearest float, or as the nearest
    integer when it is beyond the float range (exact values may be; the *_text fields hold them);
    null for a gradient that does not exist (JSON has no nan)."""
    if v != v:
        return None
    if isinstance(v, Fraction):
        try:
            return float(v)
        except OverflowError:
            return round(v)
    return v


def short(text: str, digits: int = 6) -> str:
    """A number the cross-check wrote out in full, shortened like `number` does."""
    try:
        value = float(text)
    except ValueError:
        return text
    return text if "/" in text or text.lstrip("-").isdigit() else number(value, digits)


def check_cell(check: Check | None, g: Glyphs, brief: bool = False) -> str:
    """The verdict and sympy's own number: '✓ 11', '✗ sympy 12', 'kink, within [0, 1]', 'skipped: why'.

    `brief` leaves out a passing check's number (the one beside it, agreeing), for narrow tables.
    """
    if check is None:
        return ""
    expected = short(check.expected)
    if check.status == "pass":
        if brief:
            return g.ok
        return f"{g.ok} {expected}" if check.how == "sympy" else f"{g.ok} {expected} ({check.how})"
    if check.status == "fail":
        return f"{g.bad} {check.how} {expected}"
    if check.status == "kink":
        return f"{g.kink} kink, within {check.expected}"
    return f"{g.skip} skipped: {check.note}" if check.note else f"{g.skip} skipped"


def op_cell(graph: Graph, gate: int) -> str:
    """'mul swaps', 'div scales: 1/g, -1/g**2': the op and what it does, in the program's names."""
    op = graph.nodes[gate].op
    if op not in OPS:
        return op
    return f"{op} {pattern_text(graph, gate, lambda i: _factor(graph.text(i)))}"


def pattern_cell(graph: Graph, gate: int, name=None) -> str:
    """What a gate does, in the lecture's words and the program's names, without the op: 'swaps'."""
    name = name or graph.text
    return pattern_text(graph, gate, lambda i: _factor(name(i)))


def _factor(text: str) -> str:
    return text if grouped(text) else f"({text})"


def closing_line(report: Report) -> str:
    """The one line CI reads: 'checks: N passed, M failed[, K skipped]'."""
    passed, failed, skipped = report.counts()
    tail = f", {skipped} skipped" if skipped else ""
    return f"checks: {passed} passed, {failed} failed{tail}"


def contributions(report: Report, node: int, uses: Sequence[tuple[int, int]] | None = None) -> list[Number]:
    """The downstream gradients that add up to a node's gradient, one per edge leaving it (`uses`: the
    node's consumers, where the caller has them)."""
    back = report.back
    parts = []
    for gate, pos in report.graph.consumers[node] if uses is None else uses:
        locs = back.partials[gate]
        if locs is not None:
            up, local = back.grads[gate], locs[pos]
            # as the pass sums: a zero upstream adds 0, even times a slope that does not exist (a branch
            # of max not taken)
            parts.append(0 if up == 0 else up * local)
    return parts


def sum_text(report: Report, node: int, limit: int | None = 8, uses: Sequence[tuple[int, int]] | None = None) -> str:
    """'3 + 3 + 1 = 7' where a node fans out to several gates; empty otherwise. Past `limit` terms
    the rest is '...' (None: every term, as notes carry them). `uses` may be the node's first
    limit + 1 consumers only (Graph.consumers_of's `first`): all the cell shows."""
    parts = contributions(report, node, uses)
    if uses is not None and limit is not None and len(uses) == limit + 1 and len(parts) <= limit:
        # some of those reach no output: the cell needs the node's other consumers too
        parts = contributions(report, node, report.graph.consumers_of([node])[node])
    if node == report.graph.output:
        parts = [1, *parts]
    if len(parts) < 2:
        return ""
    cut = limit is not None and len(parts) > limit
    shown = " + ".join(number(p) for p in (parts[:limit] if cut else parts)) + (" + ..." if cut else "")
    return f"{shown} = {number(report.back.grads[node])}"
