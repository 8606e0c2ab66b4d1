"""The cross-check's joint rule at a tie: the local partials of one kink gate are ONE subgradient.

Each partial alone lies between sympy's one-sided derivatives (local.py); together, the shares a tie
of max or min sends to its tied arguments must add up to the gate's slope along the tie (moving all
tied arguments at once), which sympy gives by differentiating the op with the tied arguments made one.
Giving 1 to both inputs of max(x, x) passes edge by edge and fails here.
"""

from __future__ import annotations

from dataclasses import replace

from ..ops import OPS, show
from .state import OutOfTime, State, Verdicts, agree, engine_number


def joint_kinks(st: State, edges: Verdicts) -> Verdicts:
    """The edges' verdicts, with the tied arguments of a kink gate failed where their shares are not one
    subgradient (a record replaces the plain pass)."""
    tied: dict[int, list[int]] = {}
    for gate, pos in st.back.kinks:
        tied.setdefault(gate, []).append(pos)
    for gate, positions in tied.items():
        if len(positions) < 2 or any(edges.get((gate, p)) is None for p in positions):
            continue
        ours = sum(st.back.local(gate, p) for p in positions)
        try:
            theirs = st.sympy_call(_along_tie, st, gate, positions)
        except OutOfTime:
            continue
        if theirs is None or agree(ours, theirs, st.tol):
            continue
        note = f"one subgradient: the shares to the tied arguments must add up to {show(theirs)}, not {show(ours)}"
        for p in positions:
            edges.records[(gate, p)] = replace(edges[(gate, p)], status="fail", note=note)
    return edges


def _along_tie(st: State, gate: int, positions: list[int]):
    """d gate / d s with every tied argument replaced by one symbol s, at the tied value."""
    sp, node = st.sp, st.graph.nodes[gate]
    s = sp.Dummy("s", real=True)
    args = [s if p in positions else st.number(st.values[a]) for p, a in enumerate(node.args)]
    d = sp.diff(OPS[node.op].sympy(sp, *args), s)
    return engine_number(d.xreplace({s: st.number(st.values[node.args[positions[0]]])}))
