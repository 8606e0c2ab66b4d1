"""`backprop check --format json`: schema `backprop.check` version 1, one record per file, streamed.

Documented in docs/check.md and checked by tests against backpropcli/schema/check.schema.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ...claims.grade import ClaimResult
from ...grading import FileResult
from ...ops import Number, show
from ..cells import Glyphs, json_number
from .rows import error_location, why

SCHEMA = "backprop.check"
VERSION = 1


def render(results: Iterable[FileResult], glyphs: Glyphs) -> Iterator[str]:
    yield json.dumps({"schema": SCHEMA, "version": VERSION})[:-1] + ',\n"files": ['
    passed = failed = errors = 0
    for k, result in enumerate(results):
        passed += result.passed
        failed += result.failed
        errors += result.error is not None
        yield ("\n" if k == 0 else ",\n") + json.dumps(_file(result))
    summary = {"passed": passed, "failed": failed, "errors": errors}
    yield '],\n"summary": ' + json.dumps(summary) + "}\n"


def _file(result: FileResult) -> dict:
    record: dict[str, Any] = {
        "path": result.path,
        "status": _status(result),
        "output": None,
        "value": None,
        "value_text": None,
        "passed": result.passed,
        "failed": result.failed,
        "error": None,
        "claims": [],
        "missing": [],
        "warnings": list(result.warnings),
    }
    if result.error is not None:
        line, col = error_location(result)
        record["error"] = {"message": result.error.message, "line": line, "col": col}
        return record
    graph = result.graph
    assert graph is not None and result.value is not None  # a file without an error was evaluated
    record.update(output=graph.nodes[graph.output].name, value=json_number(result.value), value_text=show(result.value))
    record["claims"] = [_claim(result, r) for r in result.claims]
    record["missing"] = [
        {
            "claim": m.claim,
            "node": graph.nodes[m.node].name,
            "kind": m.kind,
            "line": result.line_col(graph.nodes[m.node].start)[0],
            **_number("true", m.true),
        }
        for m in result.missing
    ]
    return record


def _status(result: FileResult) -> str:
    if result.error is not None:
        return "error"
    return "failed" if result.failed else "passed"


def _claim(result: FileResult, r: ClaimResult) -> dict:
    claim = r.claim
    line, col = result.line_col(claim.start)
    assert result.graph is not None  # a file with claims was parsed
    record = {
        "name": claim.name,
        "wrt": result.graph.nodes[claim.wrt].name,
        "of": result.graph.nodes[claim.of].name,
        "line": line,
        "col": col,
        "formula": claim.graph.text(claim.graph.output, 80),
        **_number("written", r.written),
        **_number("true", r.true),
        **_number("step", r.step),
        "verdict": r.verdict,
        "ok": r.ok,
        "how": r.how or None,
        "interval": None,
        "why": why(r),
        "inherits_from": [{"name": c.name, "line": result.line_col(c.start)[0]} for c in r.sources],
        "part": r.part or None,
        "reason": r.why if r.true is None else None,
    }
    if r.interval is not None:
        record["interval"] = [json_number(r.interval[0]), json_number(r.interval[1])]
    return record


def _number(key: str, v: Number | None) -> dict:
    """A value as a JSON number (a fraction as the nearest float) and exactly, as text; null if it has none."""
    if v is None:
        return {key: None, f"{key}_text": None}
    return {key: json_number(v), f"{key}_text": show(v)}
