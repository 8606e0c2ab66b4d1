"""Claims stage, part four: claims at one kink must fit ONE subgradient of its gate, together.

One by one, each claim at a kink may take any value between the one-sided derivatives; but at the tie
x = y of max(x, y) the shares sent to x and y are one choice, non-negative and summing to what
arrived, so `dfdx = 2` and `dfdy = 2` cannot both hold where 2 arrived. The gate's subgradients are
the segment between its two branch slopes (nudge an argument either way and read the op table's
partials there), and every gradient is affine along it: the claims fix one point on it, or fail.
A claim whose gradient meets several kinks is judged alone, as before.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

from ..autodiff import accumulate
from ..graph import Graph
from ..ops import Number, exact, is_exact, show
from .accumulate import statement
from .derivation import branches, rooted
from .result import ADDS, ClaimResult


def jointly(graph: Graph, values, backs: dict, results: list[ClaimResult], tol: float) -> list[ClaimResult]:
    """Each result at a kink, checked against the subgradient the claims before it fixed."""
    out = list(results)
    for of, back in backs.items():
        gates = dict.fromkeys(gate for gate, _ in back.kinks)
        if len(gates) != 1:
            continue
        gate = next(iter(gates))
        positions = tuple(pos for g, pos in back.kinks if g == gate)
        ends = branches(graph, values, back, gate, positions)
        if ends is not None:
            _fit(graph, values, back, of, gate, ends, out, tol)
    return out


def _fit(graph: Graph, values, back, of: int, gate: int, ends, out: list[ClaimResult], tol: float) -> None:
    sub = rooted(graph, of)
    lines = []
    for end in ends:
        partials = list(back.partials)
        partials[gate] = end
        lines.append(accumulate(sub, partials))
    fixed: tuple[Number, ClaimResult] | None = None  # the share t, and the claim that fixed it
    for k, r in enumerate(out):
        if r.claim.of != of or r.part == ADDS or not r.ok or r.interval is None or r.written is None:
            continue
        g0, g1 = lines[0][r.claim.wrt], lines[1][r.claim.wrt]
        if g0 == g1:
            continue
        t = _share(r.written, g0, g1)
        if fixed is None:
            fixed = (t, r)
        elif not _same(t, fixed[0], tol):
            want = exact(g0 + fixed[0] * (g1 - g0))
            why = _why(graph, values, back, gate, fixed[1], r, want)
            out[k] = replace(r, verdict="wrong", how="kink", why=why)


def _share(value: Number, g0: Number, g1: Number) -> Number:
    """Where on the segment a claim's value lies: 0 at the first branch, 1 at the second."""
    if is_exact(value) and is_exact(g0) and is_exact(g1):
        return exact(Fraction(value - g0) / (g1 - g0))
    return (float(value) - float(g0)) / (float(g1) - float(g0))


def _same(a: Number, b: Number, tol: float) -> bool:
    if is_exact(a) and is_exact(b):
        return a == b
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(a)), abs(float(b)))


def _why(graph: Graph, values, back, gate: int, first: ClaimResult, r: ClaimResult, want: Number) -> str:
    if first.written is None or r.written is None:
        raise ValueError("only a claim with a value fixes or breaks the share at a kink")
    node = graph.nodes[gate]
    label = f"{node.name} = {statement(graph, gate)}" if node.name else graph.text(gate)
    tied = [a for pos, a in enumerate(node.args) if (gate, pos) in back.kinks]
    at = f" (the tie {' = '.join(graph.text(a) for a in tied)} = {show(values[gate])})" if len(tied) > 1 else ""
    text = f"at the kink of {label}{at}, the claims must fit one subgradient"
    wrts = {first.claim.wrt, r.claim.wrt}
    only_here = all(g == gate for w in wrts for g, _ in graph.consumers[w])  # all their gradient is the gate's
    if len(tied) > 1 and len(wrts) == 2 and wrts <= set(tied) and only_here:
        total = f"{first.claim.name} + {r.claim.name} = {show(first.written + r.written)}"
        return f"{text}: {graph.text(gate)} passes {show(back.grads[gate])} on in total; {total}"
    line = graph.source.line_col(first.claim.start)[0]
    return (
        f"{text}: with {first.claim.name} = {show(first.written)} (line {line}), {r.claim.name} should be {show(want)}"
    )
