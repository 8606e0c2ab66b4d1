"""Machine-readable output, streamed record by record so a 10^5-node graph never builds one big string.

Schema `backprop.eval` version 1 is documented in docs/json.md and checked by tests against
backpropcli/schema/eval.schema.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..autodiff import ledger
from ..crosscheck import Check
from ..pipeline import Report
from . import Options
from .cells import json_number, number

SCHEMA = "backprop.eval"
VERSION = 1


def render(report: Report, options: Options) -> Iterator[str]:
    dump = json.dumps
    graph, back, values = report.graph, report.back, report.values
    passed, failed, skipped = report.counts()
    head = {
        "schema": SCHEMA,
        "version": VERSION,
        "path": graph.source.path,
        "output": report.output,
        "value": json_number(report.value),
        "value_text": number(report.value, 17),
        "gradients": {k: json_number(v) for k, v in report.gradients.items()},
        "intermediate_gradients": {k: json_number(v) for k, v in report.intermediate_gradients.items()},
        "checks": {"enabled": report.checks is not None, "passed": passed, "failed": failed, "skipped": skipped,
                   "notes": list(report.checks.notes) if report.checks else []},
    }
    yield dump(head)[:-1]
    yield ',\n"nodes": ['
    for i, node in enumerate(graph.nodes):
        line, col = graph.source.line_col(node.start)
        record = {"id": i, "name": node.name, "label": graph.text(i), "op": node.op, "args": list(node.args),
                  "value": json_number(values[i]), "value_text": number(values[i], 17),
                  "grad": json_number(back.grads[i]), "grad_text": number(back.grads[i], 17),
                  "line": line, "col": col}
        if report.checks:
            record["check"] = _check(report.checks.nodes.get(i))
            record["formula"] = report.checks.formulas.get(i)
        yield ("\n" if i == 0 else ",\n") + dump(record)
    yield '],\n"edges": ['
    kinks = set(back.kinks)
    for k, (gate, pos) in enumerate(ledger(graph, back)):
        local = back.partials[gate][pos]
        record = {"gate": gate, "input": graph.nodes[gate].args[pos], "position": pos, "op": graph.nodes[gate].op,
                  "upstream": json_number(back.grads[gate]), "local": json_number(local),
                  "downstream": json_number(back.grads[gate] * local), "kink": (gate, pos) in kinks}
        if report.checks:
            record["check"] = _check(report.checks.edges.get((gate, pos)))
        yield ("\n" if k == 0 else ",\n") + dump(record)
    yield '],\n"claims": ['
    for k, result in enumerate(report.claims):
        claim = result.claim
        record = {"name": claim.name, "line": graph.source.line_col(claim.start)[0],
                  "wrt": graph.nodes[claim.wrt].name,
                  "written": None if result.written is None else json_number(result.written),
                  "true": json_number(result.true), "verdict": result.verdict, "why": result.why}
        yield ("\n" if k == 0 else ",\n") + dump(record)
    yield "]}\n"


def _check(check: Check | None) -> dict | None:
    if check is None:
        return None
    return {"status": check.status, "sympy": check.expected, "how": check.how, "note": check.note}
