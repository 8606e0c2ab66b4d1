"""`backprop verify --format github`: one workflow-command annotation per node wrong at itself (inherited
nodes are counted, not annotated: their cause is annotated already)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..cells import Glyphs, number
from ..check.github import annotation

INHERITED = "inherited"


def render(reports: Iterable, glyphs: Glyphs) -> Iterator[str]:
    for report in reports:
        for row in report.rows:
            if row.ok or row.verdict == INHERITED:
                continue
            message = f"{row.name}: {row.verdict} (grad {number(row.grad, 17)}, true {number(row.true, 17)}): {row.why}"
            yield annotation(report.source, row.line or None, None, f"{row.name}: {row.verdict}", message)
