"""Machine-readable output, schema `backprop.eval` version 2: nodes and edges as parallel arrays.

One list per field, which json.dumps writes in C, one field per line; exact values the JSON number
cannot hold (fractions) are given again as text, only where they occur. Documented in docs/json.md,
checked by tests against backpropcli/schema/eval.v2.schema.json.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from fractions import Fraction
from operator import getitem

from ...autodiff import Edges
from ...crosscheck import Check
from ...graph import CONST, Columns
from ...ops import show
from ...pipeline import Report
from . import Options
from .json import claims, head

VERSION = 2


def render(report: Report, options: Options) -> Iterator[str]:
    rows = report.edges
    yield head(report, VERSION)
    yield ',\n"nodes": {'
    yield from _fields(_nodes(report))
    yield '},\n"edges": {'
    yield from _fields(_edges(report, rows))
    yield '},\n"claims": ['
    yield "\n" + ",\n".join(claims(report)) if report.claims else ""
    yield "]}\n"


class Encoded(str):
    """A value already written as JSON."""


def _fields(fields: Iterator[tuple[str, object]]) -> Iterator[str]:
    """One "name": value pair per line, each value written by json.dumps (in C for lists of plain values)."""
    separator = "\n"
    for name, value in fields:
        yield f"{separator}{_DUMPS(name)}: {_encoded(value)}"
        separator = ",\n"


def _nodes(report: Report) -> Iterator[tuple[str, object]]:
    """The node columns, read from the graph's own columns: no Node made per node."""
    graph, back = report.graph, report.back
    c = graph.columns
    lines, cols = graph.source.lines_and_cols(c.starts)
    yield "count", len(c)
    yield "name", list(c.names)
    yield "label", [None if name is not None else graph.text(i) for i, name in enumerate(c.names)]
    yield "op", list(c.ops)
    yield "args", list(c.all_args())
    yield from _numbers("value", report.values)
    yield from _numbers("grad", back.grads)
    yield "line", lines
    yield "col", cols
    if report.checks:
        checked = list(map(CONST.__ne__, c.ops))
        yield "check", _checks(range(len(c)), report.checks.nodes, back.grads, checked)
        yield "formula", {str(i): text for i, text in sorted(report.checks.formulas.items())}


def _edges(report: Report, rows: Edges) -> Iterator[tuple[str, object]]:
    back, grads, c = report.back, report.back.grads, report.graph.columns
    gates, positions = rows.gates.tolist(), rows.positions.tolist()
    local = list(back.edge_locals(rows))
    yield "count", len(rows)
    yield "gate", gates
    yield "position", positions
    yield "input", _inputs(c, gates, positions)
    yield from _numbers("local", local)
    yield from _numbers("downstream", [grads[gate] * d for gate, d in zip(gates, local, strict=True)])
    kinks = set(report.back.kinks)
    yield "kinks", [k for k, row in enumerate(rows) if row in kinks] if kinks else []
    if report.checks:
        yield "check", _checks(rows, report.checks.edges, local, None)


def _inputs(c: Columns, gates: list[int], positions: list[int]) -> list[int]:
    """The node each edge comes from: its gate's argument at its position."""
    if c.more:
        return [c.args(gate)[pos] for gate, pos in zip(gates, positions, strict=True)]
    pairs = zip(map(c.arg0.__getitem__, gates), map(c.arg1.__getitem__, gates), strict=True)
    return list(map(getitem, pairs, positions))


def _numbers(name: str, column: Sequence) -> Iterator[tuple[str, object]]:
    """A column of numbers and, beside it, `<name>_text`: by position, the exact text of every value the
    JSON number does not hold exactly (a fraction, written as its nearest float)."""
    numbers, texts = _column(column)
    yield name, numbers
    yield f"{name}_text", texts


def _column(column: Sequence) -> tuple[Encoded | list, dict[str, str]]:
    """The column as JSON numbers (null stays null) and the texts of the values they cannot hold."""
    try:  # ints and finite floats only: the column as it is, written once (the common case, in C)
        return Encoded(_DUMPS(column)), {}
    except (TypeError, ValueError):
        pass
    numbers, texts = [], {}
    for k, v in enumerate(column):
        if type(v) is Fraction:
            texts[str(k)] = show(v)
            v = _near(v)
        elif type(v) is float and not math.isfinite(v):
            if v == v:  # a gradient that does not exist is null alone; the document's `undefined` says why
                texts[str(k)] = show(v)
            v = None
        numbers.append(v)
    return numbers, texts


def _near(v: Fraction) -> int | float:
    """A fraction's nearest float, or its nearest integer beyond the float range."""
    try:
        return float(v)
    except OverflowError:
        return round(v)


def _checks(keys: Sequence, verdicts, ours: Sequence, checked: Sequence[bool] | None) -> Encoded:
    """The checks of a set of keys as columns: status (null: not checked), sympy's number where it is
    not exactly ours (null where it is, or where there is none), how, and by position the texts a
    number cannot hold (an interval at a kink, a fraction) and the notes."""
    number = verdicts.number
    theirs = list(map(number, keys))
    sympy = [None if t is None or (type(t) is type(o) and t == o) else t for t, o in zip(theirs, ours, strict=True)]
    statuses: list[str | None]
    if checked is None:
        statuses, hows = ["pass"] * len(keys), [verdicts.how] * len(keys)
    else:
        statuses = ["pass" if c else None for c in checked]
        hows = [verdicts.how if c else None for c in checked]
    texts: dict[str, str] = {}
    notes: dict[str, str] = {}
    records = verdicts.records
    at = {key: k for k, key in enumerate(keys) if key in records} if records else {}
    for key, k in at.items():
        check = records[key]
        statuses[k], hows[k] = check.status, check.how
        value = _parsed(check)
        sympy[k] = None if value is None or (type(value) is type(ours[k]) and value == ours[k]) else value
        if check.expected and (value is None or show(value) != check.expected):
            texts[str(k)] = check.expected
        if check.note:
            notes[str(k)] = check.note
    numbers, exact = _column(sympy)
    texts.update((k, t) for k, t in exact.items() if k not in texts)
    fields = {
        "status": statuses,
        "sympy": numbers,
        "sympy_text": dict(sorted(texts.items(), key=lambda item: int(item[0]))),
        "how": hows,
        "note": dict(sorted(notes.items(), key=lambda item: int(item[0]))),
    }
    return Encoded("{" + ", ".join(f'"{name}": {_encoded(value)}' for name, value in fields.items()) + "}")


def _encoded(value) -> str:
    return value if isinstance(value, Encoded) else _DUMPS(value)


def _parsed(check: Check) -> int | float | Fraction | None:
    """sympy's number from a record's text: an integer, a fraction or a float; None for an interval."""
    text = check.expected
    try:
        if "/" in text:
            return Fraction(text)
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except (ValueError, ZeroDivisionError):
        return None


_DUMPS = json.JSONEncoder(allow_nan=False).encode
