"""Claims stage, part five: did float arithmetic keep the answer? The program again at high precision.

The rules can be right and the floats still lose every digit: exp(300)/(1 + exp(300)) has gradient
5.1e-131, which floats compute as 1 - 1 = 0.0. Every value and gradient is taken again with sympy's
numbers at 700 digits (mpmath underneath; the inputs are the floats' exact binary values), using the
op table's sympy forms and their derivatives, and a float that kept fewer than 6 digits is named.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ..autodiff import Backward
from ..crosscheck.state import OutOfTime, ringing
from ..graph import CONST, INPUT, Graph
from ..ops import OPS, Number

DIGITS = 700  # a float sum can cancel about 620 digits (terms up to 1e308): more than that is kept
KEPT = 1e-6  # a float whose relative error exceeds this has kept fewer than 6 digits: it lost the answer
NODE_CAP = 400  # sympy arithmetic per node; beyond this the program is not taken again
SHOWN = 3  # losses named in the warning; the rest are counted
BUDGET = 20.0  # seconds for one program's second look where no --budget is given (check)
CANCELLATION = "float cancellation at"
UNCHECKED = f"floats not checked at {DIGITS} digits"


@dataclass(frozen=True)
class Floats:
    """What the second look at DIGITS digits found: `status` is pass (every float kept 6 digits),
    lost (some did not: `note` names them), skip (not taken again: `note` says why) or exact (no float
    anywhere, nothing to lose)."""

    status: str
    note: str = ""

    @property
    def warnings(self) -> tuple[str, ...]:
        """The sentence every format shows: where floats lost the answer, or why that was not checked."""
        return (self.note,) if self.status in ("lost", "skip") else ()


NOT_ASKED = Floats("skip", f"{UNCHECKED}: the cross-check was not asked for")


def float_losses(graph: Graph, values: list[Number], back: Backward) -> tuple[str, ...]:
    """One warning naming where floats lost the answer, or nothing; a program that is not checked says so."""
    return floats_kept(graph, values, back, BUDGET).warnings


def floats_kept(graph: Graph, values, back: Backward, budget: float = math.inf) -> Floats:
    """Every float value and gradient against its value at DIGITS digits, within NODE_CAP nodes and
    `budget` seconds: a program beyond either is skipped, and the note says which limit stopped it."""
    if all(type(v) is not float for v in values):
        return Floats("exact")  # exact arithmetic throughout: nothing to lose
    if len(graph.nodes) > NODE_CAP:
        return Floats("skip", f"{UNCHECKED}: the program has more than {NODE_CAP} nodes")
    import sympy

    try:
        with ringing(budget if math.isfinite(budget) else 0.0):  # a single sympy power can take minutes
            precise = _Precise(graph, values, back, sympy, time.monotonic() + budget)
    except OutOfTime:
        return Floats("skip", f"{UNCHECKED}: the time budget ran out")
    found = []
    for i, node in enumerate(graph.nodes):
        if node.name is None or node.op == CONST:
            continue
        for what, ours, true in (
            ("value", values[i], precise.values[i]),
            ("gradient", back.grads[i], precise.grads[i]),
        ):
            if true is not None and type(ours) is float and _lost(ours, true):
                found.append(f"{CANCELLATION} {node.name}: the float {what} is {ours!r}, the true value {true:.4g}")
    if not found:
        return Floats("pass")
    more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
    return Floats("lost", "; ".join(found[:SHOWN]) + more)


def _lost(ours: float, true: float) -> bool:
    if not math.isfinite(true):
        return False
    return abs(ours - true) > KEPT * abs(true) and abs(ours - true) > 1e-300


class _Precise:
    """Values and d out/d node at DIGITS digits; None where sympy gives no real number."""

    def __init__(self, graph: Graph, values, back: Backward, sp, deadline: float = math.inf) -> None:
        self.graph, self.back, self.sp, self.deadline = graph, back, sp, deadline
        self.leaves = values  # an input's value may come from a binding, not from the program
        self.templates: dict[tuple[str, int, int], tuple] = {}
        self.exact = self.forward()
        self.values = [self._float(v) for v in self.exact]
        self.grads = self.backward()

    def forward(self) -> list:
        sp, out = self.sp, []
        for node, value in zip(self.graph.nodes, self.leaves, strict=True):
            self.on_time()
            if node.op in (INPUT, CONST):
                out.append(sp.Float(value, DIGITS) if type(value) is float else sp.Rational(str(value)))
            else:
                try:
                    out.append(OPS[node.op].sympy(sp, *[out[a] for a in node.args]).evalf(DIGITS))
                except TypeError:  # a comparison with nan (cbrt of sympy's atan2(0, 0)): no real number
                    out.append(sp.nan)
        return out

    def backward(self) -> list:
        graph, back = self.graph, self.back
        grads = [self.sp.Integer(0)] * len(graph.nodes)
        grads[graph.output] = self.sp.Integer(1)
        kinks = {gate for gate, _ in back.kinks}
        for i in range(graph.output, -1, -1):
            node = graph.nodes[i]
            partials = back.partials[i]
            if partials is None or not node.args:
                continue
            self.on_time()
            for pos, a in enumerate(node.args):
                local = self.local(i, pos) if i not in kinks else None
                if local is None:  # at a kink, or no real number: the engine's own subgradient
                    local = self.sp.Float(float(partials[pos]), DIGITS)
                grads[a] = (grads[a] + grads[i] * local).evalf(DIGITS)
        return [self._float(g) for g in grads]

    def on_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise OutOfTime

    def local(self, gate: int, pos: int):
        node = self.graph.nodes[gate]
        key = (node.op, len(node.args), pos)
        if key not in self.templates:
            syms = tuple(self.sp.Dummy(f"a{k}", real=True) for k in range(len(node.args)))
            self.templates[key] = (syms, self.sp.diff(OPS[node.op].sympy(self.sp, *syms), syms[pos]))
        syms, d = self.templates[key]
        try:
            value = d.xreplace(dict(zip(syms, [self.exact[a] for a in node.args], strict=True))).evalf(DIGITS)
        except TypeError:  # a comparison with nan: no real number
            return None
        return value if value.is_real and value.is_finite else None

    @staticmethod
    def _float(v) -> float | None:
        try:
            return float(v)
        except (TypeError, ValueError):
            return None
