"""Claims stage, part three: gradients written as sums, `dfdx = ...` then `dfdx += ...`, one line per edge.

Each line is a contribution: it should equal what one edge sends back to the node (upstream times
local), and names that edge when it does. After its last line, the sum is graded like any claim, and
an edge no line covered is named, as is an edge covered twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..autodiff import Backward
from ..crosscheck import within
from ..graph import Claim, Graph
from ..ops import Number, exact, show
from .derivation import branches, refs, rooted
from .result import ADDS, PLAIN, SUM, ClaimResult, inherited_text, sources_of


@dataclass(frozen=True)
class Edge:
    top: int  # the named gate (or the output) the contribution comes back through
    value: Number  # what reaches the node through it: d of / d top times the locals on the way
    low: Number  # at a kink on the way, the least and the most any subgradient sends; else the value
    high: Number


def route(graph: Graph, partials, gate: int, pos: int) -> list[tuple[int, int]]:
    """The edges from (gate, pos) up to the first named gate or the output, through anonymous gates
    with one use: a statement's inner parts (the exp in `s = 1 / (1 + exp(-x))`) belong to it."""
    path = [(gate, pos)]
    while graph.nodes[gate].name is None and gate != graph.output:
        uses = [(g, p) for g, p in graph.consumers[gate] if partials[g] is not None]
        if len(uses) != 1:
            break
        path.append(uses[0])
        gate = uses[0][0]
    return path


def edges(graph: Graph, back: Backward, node: int, values) -> list[Edge]:
    """What each gate that reads the node sends back to it, summed per statement, from the output back."""
    found: dict[int, list[Number]] = {}
    for gate, pos in graph.consumers[node]:
        if back.partials[gate] is None:
            continue
        path = route(graph, back.partials, gate, pos)
        top = path[-1][0]
        sent = _sent(graph, back, path, values)
        found[top] = [exact(a + b) for a, b in zip(found.get(top, [0, 0, 0]), sent, strict=True)]
    return [Edge(top, *found[top]) for top in sorted(found, reverse=True)]


def _sent(graph: Graph, back: Backward, path: list[tuple[int, int]], values) -> list[Number]:
    """Upstream times the locals along one path, and its range where the path crosses one kink."""
    upstream = back.grads[path[-1][0]]
    locals_ = [back.local(g, p) for g, p in path]
    value = _product(upstream, locals_)
    at = [k for k, edge in enumerate(path) if edge in back.kinks]
    ends = None
    if len(at) == 1:
        gate, pos = path[at[0]]
        ends = branches(graph, values, back, gate, tuple(p for g, p in back.kinks if g == gate))
    if ends is None:
        return [value, value, value]
    k = at[0]
    sent = [_product(upstream, [*locals_[:k], end[pos], *locals_[k + 1 :]]) for end in ends]
    return [value, min([*sent, value]), max([*sent, value])]


def _product(first: Number, factors: list[Number]) -> Number:
    for f in factors:
        first = exact(first * f)
    return first


class Sum:
    """The lines of one accumulated claim, graded as they come."""

    def __init__(self, judge, graph: Graph, claim: Claim, last: Claim) -> None:
        self.judge, self.graph, self.last = judge, graph, last
        self.edges = edges(rooted(graph, claim.of), judge.near.backs[claim.of], claim.wrt, judge.near.values)
        self.taken: dict[int, int] = {}  # edge index -> offset of the line that added it
        self.lines: list[ClaimResult] = []
        self.total: Number | None = 0

    def add(self, claim: Claim, written_claims: dict, earlier: dict[str, ClaimResult]) -> list[ClaimResult]:
        """This line's verdict as a contribution, and after the last line, the sum's."""
        judge = self.judge
        if claim.error is not None:  # a line that reads an unknown name: the sum has no value either
            written, result = None, broken(claim, 0, ADDS)
        else:
            written, scale, error = judge.value(claim, written_claims)
            used = [name for name in refs(claim) if name in judge.true_claims]
            step, _, error = judge.value(claim, judge.true_claims) if used else (written, scale, error)
            uses = [earlier[n] for n in used if n in earlier]
            result = self.contribution(claim, written, step, scale, uses, error)
        self.total = None if self.total is None or written is None else self.total + written
        self.lines.append(result)
        written_claims[claim.name] = self.total
        return [result, self.sum(claim)] if claim is self.last else [result]

    def contribution(
        self, claim: Claim, written, step, scale: float, used: list[ClaimResult], error: str
    ) -> ClaimResult:
        """The line against each edge; `error` says why its step has no value, where it has none."""
        hits = [] if step is None else [k for k, e in enumerate(self.edges) if self.sends(e, step, scale, claim)]
        fresh = [k for k in hits if k not in self.taken]
        base = ClaimResult(claim, written, 0, "", step=step, how="edge", scale=scale, part=ADDS)
        if not hits:
            if step is not None and step == 0 and not self.lines:
                return replace(base, verdict="numeric", how="value", why="the sum starts at 0")
            due = next((e for k, e in enumerate(self.edges) if k not in self.taken), None)
            return replace(
                base, true=0 if due is None else due.value, verdict="wrong", why=self.no_edge(claim, step, error)
            )
        if not fresh:
            k = hits[0]
            line = self.graph.source.line_col(self.taken[k])[0]
            why = f"the contribution through {self.through(k)} was already added on line {line}"
            return replace(base, true=self.edges[k].value, verdict="duplicate", why=why)
        k = fresh[0]
        self.taken[k] = claim.start
        result = replace(base, true=self.edges[k].value)
        why = f"the contribution through {self.through(k)}"
        edge = self.edges[k]
        if edge.low != edge.high:
            why += f"; at the kink any value in [{show(edge.low)}, {show(edge.high)}]"
        if written is not None and self.sends(self.edges[k], written, scale, claim):
            return replace(result, verdict="correct", why=why)
        off = [r for r in used if not self.judge.holds(r)]
        sources = sources_of(off)
        return replace(result, verdict="inherited", sources=sources, why=inherited_text(self.graph, off, sources))

    def sends(self, edge: Edge, step: Number, scale: float, claim: Claim) -> bool:
        """Is the line what this edge sends back (at a kink on the way: what some subgradient sends)?"""
        if edge.low != edge.high and within(step, edge.low, edge.high, self.judge.tol):
            return True
        return self.judge.near.close(step, edge.value, scale, claim.wrt, claim.of)

    def sum(self, claim: Claim) -> ClaimResult:
        """The total after the last line: right, or which edge is missing or counted twice."""
        judge, node = self.judge, claim.wrt
        true = judge.true(claim)
        result = ClaimResult(claim, self.total, true, "", how="sum", part=SUM)
        count = len(self.lines)
        missing = [k for k, e in enumerate(self.edges) if k not in self.taken and not e.low <= 0 <= e.high]
        twice = [r for r in self.lines if r.verdict == "duplicate"]
        name = self.graph.nodes[node].name
        if self.total is None:
            return replace(result, verdict="wrong", why="the sum has no value: a line of it has none")
        if missing:
            gone = " and ".join(f"the contribution through {self.through(k)}" for k in missing)
            why = f"{name} feeds {_count(len(self.edges), 'gate')}; {gone} {_is(missing)} missing"
            return replace(result, verdict="incomplete", why=why)
        if twice:
            return replace(
                result, verdict="wrong", why=twice[0].why.replace("was already added", "is counted twice; first")
            )
        interval = judge.interval(claim)  # at a kink: every subgradient's total passes (jointly with the rest)
        result = replace(result, interval=interval)
        if self.total is not None and judge.right(self.total, true, interval, 0.0, claim):
            return replace(result, verdict="correct", why=f"the sum of {_count(count, 'line')}, one per edge")
        bad = [r for r in self.lines if not r.ok]
        if bad and all(r.verdict == "inherited" for r in bad):
            sources = sources_of(bad)
            return replace(result, verdict="inherited", sources=sources, why=inherited_text(self.graph, bad, sources))
        return replace(
            result, verdict="wrong", why=f"the lines add up to {_text(self.total)}; the gradient is {show(true)}"
        )

    def through(self, k: int) -> str:
        top = self.edges[k].top
        node = self.graph.nodes[top]
        value = _brief(self.edges[k].value)
        if node.name is None:
            return f"({self.graph.text(top)}) = {value}"
        return f"{node.name} = {statement(self.graph, top)} ({value})"

    def no_edge(self, claim: Claim, step, error: str) -> str:
        """A line that matches no edge: its value is none of theirs, or it has none (`error` says why)."""
        listed = ", ".join(f"through {self.through(k)}" for k in range(len(self.edges))) or "none"
        name = self.graph.nodes[claim.wrt].name
        if step is None:
            return f"{error}, so the line sends nothing back to {name}; its edges: {listed}"
        return f"{show(step)} is what no single edge sends back to {name}; its edges: {listed}"


def broken(claim: Claim, true: Number, part: str = PLAIN) -> ClaimResult:
    """A line whose formula reads a name nothing defines: an error of its own, with no value."""
    if claim.error is None:
        raise ValueError(f"the claim on {claim.name} has no error to report")  # pragma: no mutate
    return ClaimResult(claim, None, true, "error", why=claim.error.message, part=part)


def _brief(v: Number) -> str:
    """An edge's value inside a sentence: six digits for a float, exact values in full."""
    return format(v, ".6g") if type(v) is float else show(v)


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _is(items: list) -> str:
    return "is" if len(items) == 1 else "are"


def _text(v) -> str:
    return "nothing" if v is None else show(v)


def statement(graph: Graph, node: int, limit: int = 40) -> str:
    """A named gate's right-hand side as written, squeezed onto one line, printable ASCII only."""
    n = graph.nodes[node]
    raw = " ".join(graph.source.text[n.start : n.end].split())
    raw = "".join(ch if " " <= ch <= "~" else "?" for ch in raw)
    depth = low = 0
    for ch in raw:  # a span may stop inside an operand's parentheses: `f = (a + b) * c` spans `a + b) * c`
        depth += (ch == "(") - (ch == ")")
        low = min(low, depth)
    raw = "(" * -low + raw + ")" * (depth - low)
    return raw if len(raw) <= limit else raw[: limit - 3] + "..."
