"""Claims stage: hand-written backward-pass lines `d<out>d<node> = expr`, each graded three ways.

Its value as written (earlier claims as the student wrote them) against the true gradient. Its
step: the formula with the TRUE values of the earlier claims it uses, which tells a wrong step from
a right one that only inherits an earlier mistake. And whether the formula is the true gradient as
a function or equals it only here (derivation.py); a plain number is judged by its value alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from ..autodiff import Backward, kinked
from ..crosscheck import within
from ..errors import BackpropError
from ..graph import Claim, Graph
from ..ops import OPS, Number, show
from .accumulate import Sum, broken, route, statement
from .derivation import Neighbourhood, backs, evaluate, one_sided, refs, rooted
from .joint import jointly
from .result import ClaimResult, inherited_text, sources_of


def grade(
    graph: Graph, values: list[Number], back: Backward, tol: float = 1e-9, symbolic: bool = False, reason: str = ""
) -> tuple[ClaimResult, ...]:
    """Every claim, in program order. `symbolic` lets sympy prove identities (it is imported only then);
    `reason` says why some gradients of a partial backward pass (partial.py) do not exist."""
    found_backs, reasons = backs(graph, values, back, reason)
    judge = _Judge(graph, back, tol, Neighbourhood(graph, tuple(values), found_backs, tol, symbolic, reasons))
    last = {claim.name: claim for claim in graph.claims}  # a name's last line: where a sum is complete
    sums: dict[str, Sum | None] = {claim.name: None for claim in graph.claims if claim.adds}
    found: list[ClaimResult] = []
    results: dict[str, ClaimResult] = {}
    written: dict[str, Number | None] = {}
    for claim in graph.claims:
        if _undefined(judge.true(claim)):  # it needs a slope that does not exist here
            lines = [_no_gradient(graph, claim, judge.near.values, written, judge)]
            written[claim.name] = lines[0].written
        elif claim.name in sums:
            total = sums[claim.name]
            if total is None:
                total = sums[claim.name] = Sum(judge, graph, claim, last[claim.name])
            lines = total.add(claim, written, results)
        elif claim.error is not None:  # it reads a name nothing defines: no value, and nothing to grade
            lines = [broken(claim, judge.true(claim))]
            written[claim.name] = None
        else:
            lines = [judge.grade(claim, written, results)]
            written[claim.name] = lines[0].written
        found.extend(lines)
        results[claim.name] = lines[-1]
    return tuple(jointly(graph, judge.near.values, judge.near.backs, found, tol))


def _undefined(true: Number) -> bool:
    return type(true) is float and true != true  # nan: the partial backward pass's mark


def _no_gradient(graph: Graph, claim: Claim, values, written_claims, judge) -> ClaimResult:
    """A claim whose gradient does not exist: its value is shown, and nothing can be right."""
    written = judge.value(claim, written_claims)[0] if claim.error is None else None
    of, wrt = graph.nodes[claim.of].name, graph.nodes[claim.wrt].name
    why = f"d{of}/d{wrt} does not exist here: {judge.near.reasons.get(claim.of) or 'a slope on the way is missing'}"
    return ClaimResult(claim, written, None, "undefined", why=why)


@dataclass(frozen=True)
class _Judge:
    graph: Graph
    back: Backward
    tol: float
    near: Neighbourhood

    @cached_property
    def true_claims(self) -> dict[str, Number]:
        return {claim.name: self.true(claim) for claim in self.graph.claims}

    def true(self, claim: Claim) -> Number:
        """d of / d wrt: the output's gradient, or a local gradient when `of` is another node."""
        return self.near.backs[claim.of].grads[claim.wrt]

    @cached_property
    def kinked(self) -> dict[int, bytearray]:
        return {of: kinked(rooted(self.graph, of), back) for of, back in self.near.backs.items()}

    @cached_property
    def rules(self) -> dict[int, _Rule]:
        graph = self.graph
        return {
            of: _Rule(rooted(graph, of), back, {c.wrt: c.name for c in graph.claims if c.of == of})
            for of, back in self.near.backs.items()
        }

    def grade(
        self, claim: Claim, written_claims: dict[str, Number | None], earlier: dict[str, ClaimResult]
    ) -> ClaimResult:
        """The step first (is the local rule right?); then the formula as a function; then the value."""
        interval = self.interval(claim)
        written, scale, error = self.value(claim, written_claims)
        uses = [name for name in refs(claim) if name in self.true_claims]
        step, step_scale, step_error = self.value(claim, self.true_claims) if uses else (written, scale, error)
        true = self.true(claim)
        result = ClaimResult(claim, written, true, "", step=step, interval=interval, scale=scale)
        if step is None or not self.right(step, true, interval, step_scale, claim):
            why = self.should_be(claim, step_error)
            if step is not None and self.holds(result):
                why = "the value is right only because this step cancels an earlier error; " + why
            return replace(result, verdict="wrong", why=why)
        return self.right_step(result, [earlier[name] for name in uses])

    def right_step(self, result: ClaimResult, used: list[ClaimResult]) -> ClaimResult:
        """numeric, coincidence, correct or inherited: the step is right at this point."""
        lo_hi = result.interval
        kink = f"at a kink: any value in [{show(lo_hi[0])}, {show(lo_hi[1])}] passes" if lo_hi else ""
        if not refs(result.claim):
            return replace(result, verdict="numeric", how="value", why=kink)
        if lo_hi is None:
            found = self.near.compare(result.claim)
            result = replace(result, how=found.how)
            if found.same is False:
                return replace(result, verdict="coincidence", why=f"right here only: {found.witness}")
        else:
            result = replace(result, how="kink")
        if self.holds(result):
            return replace(result, verdict="correct", why=kink)
        off = [r for r in used if not self.holds(r)]
        sources = sources_of(off)
        return replace(result, verdict="inherited", why=inherited_text(self.graph, off, sources), sources=sources)

    def value(self, claim: Claim, earlier) -> tuple[Number | None, float, str]:
        """The formula's value here, its rounding scale, and why it has none."""
        try:
            return *evaluate(self.graph, claim, self.near.values, earlier), ""
        except BackpropError as exc:
            return None, 0.0, exc.message

    def holds(self, result: ClaimResult) -> bool:
        """Is a claim's written value right (whatever its step)? Not where its gradient does not exist."""
        return (
            result.written is not None
            and result.true is not None
            and self.right(result.written, result.true, result.interval, result.scale, result.claim)
        )

    def right(
        self, value: Number, true: Number, interval: tuple[Number, Number] | None, scale: float, claim: Claim
    ) -> bool:
        """Equal to the claim's true gradient (exactly, or for floats within tol or the rounding of
        either side); at a kink, anywhere in the interval."""
        if interval is None:
            return self.near.close(value, true, scale, claim.wrt, claim.of)
        return within(value, *interval, self.tol)

    def interval(self, claim: Claim) -> tuple[Number, Number] | None:
        """At a kink: the one-sided derivatives and the backward pass's own subgradient, and all between."""
        node = claim.wrt
        if not self.kinked[claim.of][node]:
            return None
        values, graph = self.near.values, rooted(self.graph, claim.of)
        sides = [one_sided(graph, values, node, sign) for sign in (-1, 1)]
        known = [v for v in sides if v is not None] + [self.true(claim)]
        return min(known), max(known)

    def should_be(self, claim: Claim, error: str) -> str:
        """What the local rule says the line should have been: 'u = w + v, so du/dw = 1 and dfdw should be
        1 * dfdu = 4'."""
        rule = self.rules[claim.of].text(claim)
        return f"{error}; {rule}" if error else rule


@dataclass(frozen=True)
class _Rule:
    """The chain rule for one node, spelled out with the op table's local-gradient templates.

    An edge into an anonymous part of a statement (the sin in `v = sin(u) + x`) is followed up to
    the statement's named gate, multiplying the local gradients on the way: dv/du = cos(u).
    """

    graph: Graph
    back: Backward
    claimed: dict[int, str]  # node -> the name of the claim about it

    def text(self, claim: Claim) -> str:
        graph, node = self.graph, claim.wrt
        name = graph.nodes[node].name
        if node == graph.output:
            return f"{name} is the output, so {claim.name} should be 1"
        edges = [self.climb(gate, pos) for gate, pos in graph.consumers[node] if self.back.partials[gate] is not None]
        if not edges:
            return f"{name} does not reach {graph.nodes[graph.output].name}, so {claim.name} should be 0"
        tops = list(dict.fromkeys(top for top, _ in edges))
        sums = {t: " + ".join(local for top, local in edges if top == t) for t in tops}
        equations = [f"{graph.nodes[t].name} = {statement(graph, t)}" for t in tops if graph.nodes[t].name]
        partials = [f"d{self.label(t)}/d{name} = {sums[t]}" for t in tops]
        formula = " + ".join(self.term(t, sums[t]) for t in tops)
        true = show(self.back.grads[node])
        tail = "" if formula == true else f" = {true}"
        lead = " and ".join(equations) + ", so " if equations else ""
        return f"{lead}{', '.join(partials)} and {claim.name} should be {formula}{tail}"

    def climb(self, gate: int, pos: int) -> tuple[int, str]:
        """From an edge up to the first named gate (or the output): that gate, and the product of locals."""
        path = route(self.graph, self.back.partials, gate, pos)
        factors = [self.local(g, p) for g, p in path]
        kept = [f if _grouped(f) else f"({f})" for f in factors if f != "1"]
        return path[-1][0], " * ".join(kept) or "1"

    def label(self, gate: int) -> str:
        return self.graph.nodes[gate].name or f"({self.graph.text(gate)})"

    def local(self, gate: int, pos: int) -> str:
        node = self.graph.nodes[gate]
        templates = OPS[node.op].local_text
        args = [_operand(self.graph, a) for a in node.args]
        return templates[pos if len(templates) > 1 else 0].format(*args, out=self.label(gate), i=args[pos])

    def term(self, top: int, local: str) -> str:
        if top == self.graph.output:
            return local
        local = local if _grouped(local) else f"({local})"
        node = self.graph.nodes[top]
        if top in self.claimed:
            upstream = self.claimed[top]
        elif node.name is not None:
            upstream = f"d{self.graph.nodes[self.graph.output].name}d{node.name}"
        else:
            upstream = show(self.back.grads[top])
        return f"{local} * {upstream}"


def _operand(graph: Graph, node: int) -> str:
    text = graph.text(node)
    return text if _grouped(text) else f"({text})"


def _grouped(text: str) -> bool:
    """Can the text stand as a factor without parentheses: a name, a product, a call, one (...)?"""
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch in " +-" and text[0] != ch:
            return False
    return not text.startswith("-")
