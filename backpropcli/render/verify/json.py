"""`backprop verify --format json`: schema `backprop.verify` version 1, one document per graph.

Documented in docs/verify.md and checked by tests against backpropcli/schema/verify-report.schema.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from ..cells import Glyphs, json_number

SCHEMA = "backprop.verify"
VERSION = 1


def render(reports: Iterable, glyphs: Glyphs) -> Iterator[str]:
    for report in reports:
        yield document(report)


def document(report) -> str:
    """The whole report as one JSON document, nodes from the root down, ending in a newline."""
    head = {
        "schema": SCHEMA,
        "version": VERSION,
        "source": report.source,
        "root": report.root,
        "status": "passed" if report.ok else "failed",
        "summary": {
            "nodes": len(report.rows),
            "passed": report.passed,
            "failed": report.failed,
            "skipped": report.skipped,
        },
        "bugs": [{"kind": b.kind, "title": b.title, "nodes": list(b.nodes)} for b in report.bugs],
    }
    nodes = json.dumps([_row(row) for row in report.rows])
    return json.dumps(head)[:-1] + ',\n"nodes": ' + nodes + "}\n"


def _row(row) -> dict:
    return {
        "node": row.name,
        "line": row.line or None,
        "op": row.op,
        "data": json_number(row.data),
        "grad": None if row.grad is None else json_number(row.grad),
        "true": None if row.true is None else json_number(row.true),
        "verdict": row.verdict,
        "ok": row.ok,
        "why": row.why,
        "inherits_from": row.source,
    }
