"""Machine-readable output: the document (schema version 2 in columns.py, version 1 here, record by
record) or its summary (summary.py), as Options ask.

Schema `backprop.eval` version 1 is documented in docs/json.md and checked by tests against
backpropcli/schema/eval.schema.json; it is kept for readers written against it (`--json-version 1`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from itertools import islice
from json.encoder import encode_basestring_ascii as _string

from ...crosscheck import Check
from ...ops import Number, show
from ...pipeline import Report
from ..cells import json_number
from . import Options

SCHEMA = "backprop.eval"
VERSION = 1
UNDEFINED = "undefined"  # the text of a gradient that does not exist here


def render(report: Report, options: Options) -> Iterator[str]:
    if options.json == "summary":
        from .summary import render as summary

        return summary(report, options)
    if options.json_version == 2:
        from .columns import render as columns

        return columns(report, options)
    return _records(report)


def _records(report: Report) -> Iterator[str]:
    yield head(report, VERSION)
    yield ',\n"nodes": ['
    yield from _batched(_nodes(report))
    yield '],\n"edges": ['
    yield from _batched(_edges(report))
    yield '],\n"claims": ['
    yield from _batched(claims(report))
    yield "]}\n"


def head(report: Report, version: int) -> str:
    """The top of a document, up to its nodes. Version 1 repeats every named intermediate's gradient
    here; version 2 leaves them to its columns."""
    head = {
        "schema": SCHEMA,
        "version": version,
        **output_fields(report),
        "gradients": numbers(report.gradients),
        **({"intermediate_gradients": numbers(report.intermediate_gradients)} if version == 1 else {}),
        "checks": checks_field(report),
        **(said_fields(report) if version == 2 else {}),  # version 1 stays as it always was
    }
    return json.dumps(head)[:-1]


def output_fields(report: Report) -> dict[str, object]:
    """Where the program came from and the output's value: the same in every eval document."""
    return {
        "path": report.graph.source.path,
        "output": report.output,
        "value": json_number(report.value),
        "value_text": show(report.value),
    }


def checks_field(report: Report) -> dict[str, object]:
    """The counts over cross-checks and claims, and the notes on what was skipped or capped."""
    passed, failed, skipped = report.counts()
    return {
        "enabled": report.checks is not None,
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "notes": list(report.checks.notes) if report.checks else [],
    }


def said_fields(report: Report) -> dict[str, object]:
    """What the numbers alone do not say, in every eval document: the gradients that do not exist and
    why, whether floats kept the answer, and the warnings the table prints."""
    graph = report.graph
    missing = None
    if report.undefined:
        named = [graph.nodes[i].name for i in report.undefined if graph.nodes[i].name is not None]
        missing = {"reason": report.missing, "names": named}
    floats = {"status": report.floats.status, "note": report.floats.note}
    return {"undefined": missing, "floats": floats, "warnings": list(report.warnings)}


def numbers(named: dict[str, Number]) -> dict[str, Number | None]:
    """The numbers as JSON holds them: no Fraction left (json_number's nearest float or integer), and
    null for a gradient that does not exist."""
    if Fraction not in set(map(type, named.values())) and all(v == v for v in named.values()):
        return dict(named)
    return {k: json_number(v) for k, v in named.items()}


# Records are written with f-strings in exactly json.dumps's layout (", " and ": "): one dumps call
# per record costs several times more, and a 10^5-node graph has some 3*10^5 records. Strings that
# may hold user text go through the json module's own escaping (what json.dumps does for a str).


def _nodes(report: Report) -> Iterator[str]:
    graph, values, grads, checks = report.graph, report.values, report.back.grads, report.checks
    places = graph.source.line_cols(node.start for node in graph.nodes)
    for i, ((op, args, name, _, _, _), (line, col)) in enumerate(zip(graph.nodes, places, strict=True)):
        value, value_text = _texts(values[i])
        grad, grad_text = _texts(grads[i])
        label = _string(graph.text(i))
        record = (
            f'{{"id": {i}, "name": {"null" if name is None else label}, "label": {label}, "op": "{op}", '
            f'"args": [{", ".join(map(str, args))}], "value": {value}, '
            f'"value_text": "{value_text}", "grad": {grad}, '
            f'"grad_text": "{grad_text}", "line": {line}, "col": {col}'
        )
        if checks:
            formula = checks.formulas.get(i)
            record += (
                f', "check": {_check(checks.nodes.get(i))}, '
                f'"formula": {"null" if formula is None else _string(formula)}'
            )
        yield record + "}"


def _edges(report: Report) -> Iterator[str]:
    graph, back, checks = report.graph, report.back, report.checks
    kinks = set(back.kinks)
    for gate, pos in report.edges:
        upstream, local = back.grads[gate], back.local(gate, pos)
        node = graph.nodes[gate]
        record = (
            f'{{"gate": {gate}, "input": {node.args[pos]}, "position": {pos}, "op": "{node.op}", '
            f'"upstream": {_number(upstream)}, "local": {_number(local)}, '
            f'"downstream": {_number(upstream * local)}, "kink": {_BOOL[(gate, pos) in kinks]}'
        )
        if checks:
            record += f', "check": {_check(checks.edges.get((gate, pos)))}'
        yield record + "}"


def claims(report: Report) -> Iterator[str]:
    """One JSON object per claim, in program order."""
    for result in report.claims:
        yield json.dumps(claim_record(report, result))


def claim_record(report: Report, result) -> dict:
    claim = result.claim
    return {
        "name": claim.name,
        "line": report.graph.source.line_col(claim.start)[0],
        "wrt": report.graph.nodes[claim.wrt].name,
        "written": None if result.written is None else json_number(result.written),
        "true": json_number(result.true),
        "verdict": result.verdict,
        "why": result.why,
    }


def _batched(records: Iterator[str]) -> Iterator[str]:
    """Records joined by ',\n' and handed out BATCH at a time: one write per batch, not per record."""
    separator = "\n"
    while batch := list(islice(records, BATCH)):
        yield separator + ",\n".join(batch)
        separator = ",\n"


def _texts(v: Number) -> tuple[str, str]:
    """The JSON number and the exact text of a value: one repr serves both for floats and ints; a
    gradient that does not exist is null, `undefined`."""
    if v != v:
        return "null", UNDEFINED
    if type(v) is float or type(v) is int:
        text = repr(v)
        return text, text
    return _number(v), show(v)


def _number(v: Number) -> str:
    """A number as json.dumps writes it (int and float repr; a fraction as json_number makes it; null
    for a gradient that does not exist)."""
    if v != v:
        return "null"
    return repr(json_number(v)) if type(v) is Fraction else repr(v)


def _check(check: Check | None) -> str:
    if check is None:
        return "null"
    return (
        f'{{"status": "{check.status}", "sympy": {_string(check.expected)}, "how": "{check.how}", '
        f'"note": {_string(check.note)}}}'
    )


_BOOL = {True: "true", False: "false"}
BATCH = 1024
