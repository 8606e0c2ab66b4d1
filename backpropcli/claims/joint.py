"""Claims stage, part four: claims at one kink must fit ONE subgradient of its gate, together.

One by one, each claim at a kink may take any value between the one-sided derivatives; but at the tie
x = y = z of max(x, y, z) the shares sent to the tied arguments are one choice, non-negative and
summing to what arrived, so `dfdx = 2` and `dfdy = 2` cannot both hold where 2 arrived. A gate's
subgradients are the convex hull of its branch slopes (nudge an argument either way and read the op
table's partials there), and a gradient is linear in that choice: the claims must meet in the hull.
Kinks on one path (relu(relu(x)) at 0) are taken from the output back: the claims at the later kink
fix its subgradient, and the claims below it are judged at the earlier kink with that one held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from itertools import combinations

from ..autodiff import Backward, accumulate
from ..crosscheck import exact_slack
from ..graph import Graph
from ..ops import Number, exact, is_exact, show
from .accumulate import statement
from .derivation import branches, rooted
from .result import ADDS, ClaimResult

MAX_BRANCHES = 8  # branch slopes of one gate (a tie of four); a wider tie's claims are judged alone
MAX_GATES = 64  # kink gates in one backward pass; beyond, every claim at a kink is judged alone


def jointly(graph: Graph, values, backs: dict, results: list[ClaimResult], tol: float) -> list[ClaimResult]:
    """Each result at a kink, checked against the subgradient the claims before it fixed."""
    out = list(results)
    for of, back in backs.items():
        gates = sorted(dict.fromkeys(gate for gate, _ in back.kinks), reverse=True)  # from the output back
        if len(gates) > MAX_GATES:
            _alone(out, of, f"at kinks ({len(gates)} kinks on the way back; the limit is {MAX_GATES})")
            continue
        if not gates:
            continue
        sub = rooted(graph, of)
        crossed = _crossed(sub, set(gates))
        fixed: dict[int, tuple[tuple[Number, ...], list[ClaimResult]]] = {}  # gate -> its partials, and by whom
        for gate in gates:
            positions = tuple(pos for g, pos in back.kinks if g == gate)
            ends = branches(graph, values, back, gate, positions)
            if ends is None:
                continue
            if len(ends) > MAX_BRANCHES:
                why = f"at the kink of {graph.text(gate)} ({len(ends)} branch slopes; the limit is {MAX_BRANCHES})"
                _alone(out, of, why, below=(gate, crossed))
                continue
            mine = [k for k, r in enumerate(out) if _at(r, of, gate, crossed, fixed)]
            kink = _Kink(graph, values, back, gate, ends, tol, crossed)
            found = kink.fit(sub, fixed, mine, out)
            if found is not None:
                fixed[gate] = found
    return out


def _alone(out: list[ClaimResult], of: int, why: str, below: tuple[int, list[frozenset[int]]] | None = None) -> None:
    """Claims at a kink past the joint check's limits (every one of `of`'s, or those below one gate): each
    passes or fails on its own interval, and says so."""
    for k, r in enumerate(out):
        if r.claim.of != of or r.part == ADDS or r.interval is None:
            continue
        if below is None or below[0] in below[1][r.claim.wrt]:
            alone = f"checked alone, not with the other claims {why}"
            out[k] = replace(r, why=f"{r.why}; {alone}" if r.why else alone)


def _at(r: ClaimResult, of: int, gate: int, crossed: list[frozenset[int]], fixed: dict) -> bool:
    """A claim judged at this kink: a value at a kink, whose every other kink on the way is fixed."""
    if r.claim.of != of or r.part == ADDS or not r.ok or r.interval is None or r.written is None:
        return False
    kinks = crossed[r.claim.wrt]
    return gate in kinks and all(g in fixed for g in kinks if g != gate)


def _crossed(graph: Graph, gates: set[int]) -> list[frozenset[int]]:
    """For each node, the kink gates on its ways to the output: one sweep back from the output."""
    found: list[frozenset[int]] = [frozenset()] * len(graph.nodes)
    for i in range(graph.output, -1, -1):
        here = found[i] | {i} if i in gates else found[i]
        if here:
            for a in graph.nodes[i].args:
                found[a] = found[a] | here
    return found


class _Kink:
    """One kink gate: its branch slopes, and the claims that must agree on one point of their hull."""

    def __init__(self, graph: Graph, values, back: Backward, gate: int, ends: list, tol: float, crossed) -> None:
        self.graph, self.values, self.back, self.gate, self.ends, self.tol = graph, values, back, gate, ends, tol
        self.crossed = crossed

    def fit(self, sub: Graph, fixed: dict, mine: list[int], out: list[ClaimResult]):
        """Mark wrong each claim that fits no subgradient with the ones before it (and the later kinks'
        claims, held); the point they fix, if one, and the claims that fixed it."""
        lines = self.lines(sub, fixed)
        rows: list[tuple[list[Number], Number]] = []
        agreed: list[ClaimResult] = []
        for k in mine:
            r = out[k]
            assert r.written is not None  # _at takes only claims with a value
            row = [line[r.claim.wrt] for line in lines]
            if any(x != x for x in row):  # at some branch a slope on the way does not exist: judged alone
                continue
            held = [c for g, (_, by) in fixed.items() if g in self.crossed[r.claim.wrt] for c in by]
            if all(x == row[0] for x in row):  # the later kinks' claims leave it one value
                if held and not _same(row[0], r.written, self.tol):
                    out[k] = replace(r, verdict="wrong", how="kink", why=self.held(held, r, row[0]))
                continue
            if _feasible([*rows, (row, r.written)], self.tol) is None:
                out[k] = replace(r, verdict="wrong", how="kink", why=self.why(rows, [*held, *agreed], r, row))
            else:
                rows.append((row, r.written))
                agreed.append(r)
        point = self.point(rows) if rows else None
        return None if point is None else (point, agreed)

    def lines(self, sub: Graph, fixed: dict) -> list[list[Number]]:
        """Every gradient with this gate at each of its branch slopes, the later kinks held where fixed."""
        found = []
        for end in self.ends:
            partials = list(self.back.partials)
            for g, (point, _) in fixed.items():
                partials[g] = point
            partials[self.gate] = end
            found.append(accumulate(sub, partials))
        return found

    def point(self, rows: list) -> tuple[Number, ...] | None:
        """The local partials the claims leave, where they leave exactly one."""
        weights = _feasible(rows, self.tol)
        if weights is None or not _determined(rows, self.ends):
            return None
        width = len(self.ends[0])
        return tuple(
            exact(sum(w * Fraction(end[p]) for w, end in zip(weights, self.ends, strict=True))) for p in range(width)
        )

    def head(self) -> str:
        graph, gate = self.graph, self.gate
        node = graph.nodes[gate]
        label = f"{node.name} = {statement(graph, gate)}" if node.name else graph.text(gate)
        tied = self.tied()
        value = show(self.values[gate])
        at = f" (the tie {' = '.join(graph.text(a) for a in tied)} = {value})" if len(tied) > 1 else ""
        return f"at the kink of {label}{at}, the claims must fit one subgradient"

    def tied(self) -> list[int]:
        node = self.graph.nodes[self.gate]
        return [a for pos, a in enumerate(node.args) if (self.gate, pos) in self.back.kinks]

    def held(self, held: list[ClaimResult], r: ClaimResult, want: Number) -> str:
        """A claim below a later kink whose claims leave it one value whatever this kink's choice."""
        return f"{self.head()}: with {self.said(held)}, {r.claim.name} should be {show(want)}"

    def said(self, claims: list[ClaimResult]) -> str:
        return ", ".join(
            f"{c.claim.name} = {show(c.written)} (line {self.line(c)})" for c in claims if c.written is not None
        )

    def why(self, rows: list, agreed: list[ClaimResult], r: ClaimResult, row: list) -> str:
        graph, gate, back = self.graph, self.gate, self.back
        tied = self.tied()
        text = self.head()
        claims = [*agreed, r]
        wrts = [c.claim.wrt for c in claims]
        only_here = all(g == gate for w in wrts for g, _ in graph.consumers[w])  # all their gradient is the gate's
        if len(tied) > 1 and len(set(wrts)) == len(wrts) and set(wrts) <= set(tied) and only_here:
            names = " + ".join(c.claim.name for c in claims)
            written = [c.written for c in claims if c.written is not None]
            exactly = sum(Fraction(w) for w in written)  # shown as the claims were written: a float if one is
            total = show(exact(exactly) if all(map(is_exact, written)) else float(exactly))
            return f"{text}: {graph.text(gate)} passes {show(back.grads[gate])} on in total; {names} = {total}"
        said = self.said(agreed)
        if not rows:  # the later kinks' claims alone narrow what this one may be
            low, high = min(row), max(row)
            return f"{text}: {f'with {said}, ' if said else ''}{r.claim.name} must lie in [{show(low)}, {show(high)}]"
        if _determined(rows, self.ends):
            weights = _feasible(rows, self.tol)
            assert weights is not None  # the claims before this one agreed
            want = exact(sum(w * Fraction(x) for w, x in zip(weights, row, strict=True)))
            return f"{text}: with {said}, {r.claim.name} should be {show(want)}"
        verb = "fits" if len(agreed) == 1 else "fit"
        return f"{text}: {r.claim.name} = {show(exact(Fraction(r.written or 0)))} fits none that {said} {verb}"

    def line(self, result: ClaimResult) -> int:
        return self.graph.source.line_col(result.claim.start)[0]


def _feasible(rows: Sequence[tuple[Sequence[Number], Number]], tol: float) -> list[Fraction] | None:
    """Weights of the branch slopes, non-negative and summing to exactly 1, that give every claimed value
    with the interval check's slack (_slack); None if there are none. A vertex of that set has at most one
    weight per equation, so each small support of branches is tried in turn: the sum of the weights, then
    the claims from the least slack up (exact ones first) solved exactly, then each checked with its slack."""
    width = len(rows[0][0])
    claims = [([Fraction(x) for x in row], Fraction(value), _slack(row, value, tol)) for row, value in rows]
    claims.sort(key=lambda claim: claim[2])
    equations = [([Fraction(1)] * width, Fraction(1))] + [(row, value) for row, value, _ in claims]
    for size in range(1, min(len(equations), width) + 1):
        for support in combinations(range(width), size):
            found = _solve([([row[j] for j in support], value) for row, value in equations])
            if found is None or min(found) < 0:
                continue
            weights = [Fraction(0)] * width
            for j, w in zip(support, found, strict=True):
                weights[j] = w
            if all(abs(sum((w * x for w, x in zip(weights, row, strict=True)), -v)) <= s for row, v, s in claims):
                return weights
    return None


def _slack(row: Sequence[Number], value: Number, tol: float) -> Fraction:
    """A claim's slack as the interval check (crosscheck.within) takes it, so a lone claim passes both
    or neither: none where it and its values on the branches are exact, else tol · max(1, |values|)."""
    if is_exact(value) and all(map(is_exact, row)):
        return Fraction(0)
    return exact_slack(tol, *row)


def _solve(equations: list[tuple[list[Fraction], Fraction]]) -> list[Fraction] | None:
    """One solution of the equations by exact elimination (free unknowns 0); None where a pivot is missing."""
    rows = [[*row, value] for row, value in equations]
    width = len(rows[0]) - 1
    pivots: list[int] = []
    for col in range(width):
        r = next((k for k in range(len(pivots), len(rows)) if rows[k][col] != 0), None)
        if r is None:
            return None  # an unknown no equation fixes: a smaller support covers it
        rows[len(pivots)], rows[r] = rows[r], rows[len(pivots)]
        top = rows[len(pivots)]
        for k, other in enumerate(rows):
            if k != len(pivots) and other[col] != 0:
                factor = other[col] / top[col]
                rows[k] = [a - factor * b for a, b in zip(other, top, strict=True)]
        pivots.append(col)
    return [rows[k][-1] / rows[k][col] for k, col in enumerate(pivots)]


def _determined(rows: list, ends: list) -> bool:
    """Do the claims leave one point of the hull? They do where every change of weights they allow
    (summing to 0, giving every claim the same value) leaves the local partials as they were."""
    matrix = [[Fraction(x) for x in row] for row, _ in rows] + [[Fraction(1)] * len(ends)]
    slopes = [[Fraction(end[p]) for end in ends] for p in range(len(ends[0]))]
    return _rank(matrix + slopes) == _rank(matrix)


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [list(row) for row in matrix]
    rank = 0
    for col in range(len(rows[0]) if rows else 0):
        r = next((k for k in range(rank, len(rows)) if rows[k][col] != 0), None)
        if r is None:
            continue
        rows[rank], rows[r] = rows[r], rows[rank]
        for k in range(rank + 1, len(rows)):
            factor = rows[k][col] / rows[rank][col]
            rows[k] = [a - factor * b for a, b in zip(rows[k], rows[rank], strict=True)]
        rank += 1
    return rank


def _same(a: Number, b: Number, tol: float) -> bool:
    """Equal where both are exact; else within tol times the larger of 1, |a| and |b|, reckoned exactly
    (an exact value may lie past the largest float)."""
    if is_exact(a) and is_exact(b):
        return a == b
    return abs(Fraction(a) - Fraction(b)) <= exact_slack(tol, a, b)
