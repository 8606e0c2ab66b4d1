"""Claims stage: hand-written backward-pass lines, evaluated and compared with the true gradients."""

from __future__ import annotations

from dataclasses import dataclass

from .autodiff import Backward, forward
from .crosscheck import agree
from .errors import BackpropError
from .graph import Claim, Graph
from .ops import Number


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    written: Number | None  # the claim's value with earlier claims as written; None if it has none
    true: Number  # the backward pass's d out/d node
    verdict: str  # correct | wrong
    why: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict == "correct"


def grade(graph: Graph, values: list[Number], back: Backward, tol: float) -> tuple[ClaimResult, ...]:
    """Each claim's value as written (earlier claims as the student wrote them) against the truth."""
    written: dict[str, Number | None] = {}
    results = []
    for claim in graph.claims:
        true = back.grads[claim.wrt]
        refs = [n.name for n in claim.graph.nodes if n.name is not None]
        broken = [r for r in refs if r in written and written[r] is None]
        if broken:
            results.append(ClaimResult(claim, None, true, "wrong", f"it uses {broken[0]}, which has no value"))
            written[claim.name] = None
            continue
        point = {r: written[r] if r in written else values[graph.ids[r]] for r in refs}
        try:
            value = forward(claim.graph, point)[claim.graph.output]
        except BackpropError as exc:
            results.append(ClaimResult(claim, None, true, "wrong", exc.message))
            written[claim.name] = None
            continue
        written[claim.name] = value
        verdict = "correct" if agree(value, true, tol) else "wrong"
        results.append(ClaimResult(claim, value, true, verdict))
    return tuple(results)
