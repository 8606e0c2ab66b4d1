"""How a graded line reads in every `check` format: one vocabulary for the four check renderers."""

from __future__ import annotations

from dataclasses import dataclass

from ...claims.derivation import SAMPLES
from ...claims.grade import ClaimResult
from ...grading import FileResult
from ..cells import number

# Why a passing line passes, by how its formula was judged as a function.
PASSES = {
    "sympy": "same function (sympy)",
    "sampled": f"same function at {SAMPLES} nearby points",
    "value": "judged by value: no nearby point to compare",
}
NUMERIC = "a number: judged by value"


@dataclass(frozen=True)
class Row:
    line: int
    col: int
    claim: str  # dfdx; for a missing claim, the one that would cover the node
    written: str
    true: str
    verdict: str  # correct | numeric | wrong | inherited | coincidence | missing
    ok: bool
    why: str


def why(result: ClaimResult) -> str:
    if result.why:
        return result.why
    return NUMERIC if result.verdict == "numeric" else PASSES.get(result.how, "")


def rows(result: FileResult, digits: int = 6) -> list[Row]:
    """Claims in program order, then the missing ones (--require-all) in definition order."""
    found = []
    for r in result.claims:
        line, col = result.line_col(r.claim.start)
        found.append(
            Row(line, col, r.label, number(r.written, digits), number(r.true, digits), r.verdict, r.ok, why(r))
        )
    for m in result.missing:
        assert result.graph is not None  # only a file without an error has missing claims
        node = result.graph.nodes[m.node]
        line, col = result.line_col(node.start)
        found.append(
            Row(
                line,
                col,
                m.claim,
                "",
                number(m.true, digits),
                "missing",
                False,
                f"no claim about {node.name} ({m.kind}); --require-all wants one",
            )
        )
    return found


def closing_line(passed: int, failed: int, unchecked: int = 0) -> str:
    """The one line CI reads, alone at the end of the output: claims, then the files that were bad
    input ('139 passed, 15 failed, 4 files not checked')."""
    files = f", {unchecked} file{'' if unchecked == 1 else 's'} not checked" if unchecked else ""
    return f"{passed} passed, {failed} failed{files}"


def error_location(result: FileResult) -> tuple[int | None, int | None]:
    where = result.error.where if result.error is not None else None
    return (where.line, where.col) if where is not None else (None, None)
