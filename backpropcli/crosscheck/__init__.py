"""Cross-check stage: sympy re-derives what the backward pass computed, independently.

Every local partial is checked against sympy's derivative of its op (local.py); node totals
symbolically while small, else by chain re-accumulation and dual numbers (totals.py). Sympy calls
stop at the time budget (state.py).
"""

from __future__ import annotations

import time

from ..autodiff import Backward, ledger
from ..graph import Graph
from ..ops import Number
from .joint import joint_kinks
from .local import local_checks
from .state import Check, Checks, Found, Progress, State, agree, alarm, exact_slack, within
from .totals import expanded, node_checks

__all__ = ["Check", "Checks", "agree", "crosscheck", "exact_slack", "expanded", "within"]


def crosscheck(
    graph: Graph,
    values: list[Number],
    back: Backward,
    tol: float = 1e-9,
    budget: float = 20.0,
    progress: Progress | None = None,
) -> Checks:
    import sympy

    st = State(
        graph,
        values,
        back,
        tol,
        time.monotonic() + budget,
        budget,
        sympy,
        progress or _quiet,
        kinks=frozenset(back.kinks),
        found=Found(len(values)),
    )
    with alarm(st):
        edges = joint_kinks(st, local_checks(st, lambda: ledger(graph, back)))
        nodes, formulas = node_checks(st)
    return Checks(edges, nodes, formulas, tuple(st.notes))


def _quiet(stage: str, done: int, total: int) -> None:
    """No progress display."""
