"""The summary of a run as JSON (schema `backprop.eval.summary`, version 1): the output's value, the
input gradients, the check counts and what failed, without a record per node or edge. For graphs
whose full document would run to hundreds of megabytes; documented in docs/json.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction

from ...ops import show
from ...pipeline import Report
from ..cells import json_number
from . import Options
from .json import checks_field, claim_record, numbers, output_fields, said_fields

SCHEMA = "backprop.eval.summary"
VERSION = 1
FAILURES_SHOWN = 100  # failure records per kind (edges, nodes, claims); the rest are counted


def render(report: Report, options: Options) -> Iterator[str]:
    gradients = report.gradients
    document = {
        "schema": SCHEMA,
        "version": VERSION,
        **output_fields(report),
        "gradients": numbers(gradients),
        "gradients_text": {name: show(v) for name, v in gradients.items() if type(v) is Fraction},
        "checks": checks_field(report),
        **said_fields(report),
        "failures": {
            "edges": _edges(report),
            "nodes": _nodes(report),
            "claims": _claims(report),
            "floats": _floats(report),
        },
    }
    yield json.dumps(document) + "\n"


def _edges(report: Report) -> dict:
    """Failed local partials, by their position in the full document's `edges`."""
    if not report.checks:
        return _listed([])
    edges = report.checks.edges
    failed = {key for key, check in edges.records.items() if check.status == "fail"}
    if not failed:
        return _listed([])
    graph, back = report.graph, report.back
    listed = []
    for k, (gate, pos) in enumerate(edges):
        if (gate, pos) in failed:
            check = edges[(gate, pos)]
            local = back.local(gate, pos)
            listed.append(
                {
                    "edge": k,
                    "gate": gate,
                    "position": pos,
                    "input": graph.nodes[gate][1][pos],
                    "label": graph.text(gate),
                    "local": json_number(local),
                    "local_text": show(local),
                    "sympy": check.expected,
                    "note": check.note,
                }
            )
    return _listed(listed)


def _nodes(report: Report) -> dict:
    """Failed node totals, by node id."""
    if not report.checks:
        return _listed([])
    graph, grads = report.graph, report.back.grads
    records = report.checks.nodes.records
    listed = [
        {
            "node": i,
            "label": graph.text(i),
            "grad": json_number(grads[i]),
            "grad_text": show(grads[i]),
            "sympy": check.expected,
            "how": check.how,
            "note": check.note,
        }
        for i, check in sorted(records.items())
        if check.status == "fail"
    ]
    return _listed(listed)


def _claims(report: Report) -> dict:
    return _listed([claim_record(report, result) for result in report.claims if not result.ok])


def _floats(report: Report) -> dict:
    """With --strict-floats, floats that lost the answer are one failure: the warning that names them."""
    lost = report.strict_floats and report.floats.status == "lost"
    return _listed([report.floats.note] if lost else [])


def _listed(failures: list) -> dict:
    return {"count": len(failures), "shown": failures[:FAILURES_SHOWN]}
