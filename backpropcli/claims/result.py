"""Claims stage: what a graded line carries to the renderers, and the words shared by its verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from ..graph import Claim, Graph
from ..ops import Number

PASSING = ("correct", "numeric")
PLAIN, ADDS, SUM = "", "adds", "sum"  # a claim line; one line of a `+=` sum; the sum, after its last line


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    written: Number | None  # the claim's value with earlier claims as written; None if it has none
    true: Number | None  # the backward pass's d out/d node; None where it does not exist (undefined)
    verdict: str  # correct | numeric | wrong | inherited | coincidence; duplicate (a line of a sum) | incomplete
    why: str = ""
    step: Number | None = None  # the formula with the true values of the earlier claims it uses
    how: str = ""  # how the formula was judged as a function: sympy | sampled | value | kink
    interval: tuple[Number, Number] | None = None  # at a kink: the values that pass
    sources: tuple[Claim, ...] = ()  # for an inherited claim: the wrong steps its error comes from
    scale: float = 0.0  # the written value's rounding scale: how far floats may leave it from the truth
    part: str = PLAIN  # PLAIN, ADDS or SUM

    @property
    def ok(self) -> bool:
        return self.verdict in PASSING

    @property
    def label(self) -> str:
        """The claim by its name; a line of a sum as `dfdx +=` (`dfdx =` for its first), the sum as `dfdx (sum)`."""
        name = self.claim.name
        if self.part == ADDS:
            return f"{name} {'+=' if self.claim.adds else '='}"
        return f"{name} (sum)" if self.part == SUM else name


def sources_of(off: list[ClaimResult]) -> tuple[Claim, ...]:
    """The wrong steps behind the claims a line inherits from, each once, in program order."""
    found: dict[str, Claim] = {}
    for result in off:
        for claim in result.sources or (result.claim,):
            found[claim.name] = claim
    return tuple(sorted(found.values(), key=lambda c: c.start))


def inherited_text(graph: Graph, off: list[ClaimResult], sources: tuple[Claim, ...]) -> str:
    if not off:
        return "the step is right; the earlier claims it uses make its value off"
    named = ", ".join(_where(graph, r.claim) for r in off)
    text = f"the step is right; it is off only because {named} {'is' if len(off) == 1 else 'are'} off"
    if [c.name for c in sources] != [r.claim.name for r in off]:
        text += "; the wrong step is " + ", ".join(_where(graph, c) for c in sources)
    return text


def _where(graph: Graph, claim: Claim) -> str:
    return f"{claim.name} (line {graph.source.line_col(claim.start)[0]})"
