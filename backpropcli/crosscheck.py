"""Cross-check stage: sympy re-derives what the backward pass computed, independently.

Every local partial is checked against sympy's derivative of its op (one template per op kind,
compiled once, evaluated per edge). Node totals d out/d node are checked symbolically while the
expanded expression is small; beyond that cap, by re-accumulating sympy's locals over each node's
consumers (chain) and, for a sample of inputs, by forward-mode dual numbers carried through the
whole graph with sympy's locals (dual). At a kink the check is that our value lies between sympy's
one-sided derivatives. Sympy calls stop at the time budget, interrupted by SIGALRM where it exists.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from .autodiff import Backward, ledger, tangent
from .autodiff import kinked as kinked_nodes
from .graph import CONST, Graph
from .ops import OPS, Number, is_exact, show

SYMBOLIC_TREE_CAP = 2000  # expanded expression size beyond which whole-expression sympy is not tried
SYMBOLIC_NODE_CAP = 200  # nodes beyond which per-node symbolic totals are not tried
SYMBOLIC_DEPTH_CAP = 80  # sympy recurses over expression depth
DUAL_SAMPLE = 8  # inputs checked by forward-mode dual numbers when the graph is beyond the symbolic cap
ABS_TOL = 1e-12
KINK_STEP = Fraction(1, 10**12)
PROGRESS_EVERY = 4096  # edges between two progress reports

Progress = Callable[[str, int, int], None]  # (stage, done, total)

_SUBNORMAL_SCALE = sys.float_info.min / sys.float_info.epsilon  # below this, floats lose relative precision


@dataclass(frozen=True)
class Check:
    status: str  # pass | fail | kink (within the one-sided derivatives) | skip
    expected: str = ""  # sympy's number (or interval), as text
    how: str = "sympy"  # sympy | chain | dual
    note: str = ""


@dataclass(frozen=True)
class Checks:
    edges: dict[tuple[int, int], Check]  # (gate, argument position) -> local partial check
    nodes: dict[int, Check]  # node -> total gradient check
    formulas: dict[int, str]  # input -> sympy's d out/d input, as text
    notes: tuple[str, ...] = ()

    def counts(self) -> tuple[int, int, int]:
        every = list(self.edges.values()) + list(self.nodes.values())
        passed = sum(1 for c in every if c.status in ("pass", "kink"))
        failed = sum(1 for c in every if c.status == "fail")
        return passed, failed, len(every) - passed - failed


class _OutOfTime(Exception):
    """The budget ran out: raised before a sympy call, or inside one by the alarm."""


class _Template(NamedTuple):
    key: tuple  # (op, arity, argument position)
    syms: tuple
    expr: object  # the op's sympy expression in syms
    d: object  # its derivative along one argument


@dataclass
class _State:
    """Scratch for one cross-check run; nothing of it outlives the call."""

    graph: Graph
    values: list
    back: Backward
    tol: float
    deadline: float
    seconds: float
    sp: object
    progress: Progress
    alarm: bool = False  # whether SIGALRM may interrupt a sympy call
    templates: dict = field(default_factory=dict)
    compiled: dict = field(default_factory=dict)  # template key -> its derivative compiled for floats
    sympy_partials: list = field(default_factory=list)  # per gate: sympy's local partials (None: unchecked)
    notes: list = field(default_factory=list)

    def sympy_call(self, fn: Callable, *args):
        """One call into sympy, within the budget: _OutOfTime if it has run out or runs out meanwhile."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _OutOfTime
        if not self.alarm:
            return fn(*args)
        signal.setitimer(signal.ITIMER_REAL, min(remaining, 1e6))  # setitimer overflows on huge budgets
        try:
            return fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def out_of_time(self) -> Check:
        note = f"the cross-check's time budget of {self.seconds:g}s ran out"
        if note not in self.notes:
            self.notes.append(note)
        return Check("skip", note=note)

    def total_number(self, v: Number):
        """A value inside a whole-expression check. Where the output is a float, floats throughout:
        an exact value that the engine let go to float (2**10**10) must not be rebuilt exactly."""
        if is_exact(self.values[self.graph.output]):
            return self.number(v)
        return self.sp.Float(float(v))

    def number(self, v: Number):
        sp = self.sp
        if type(v) is int:
            return sp.Integer(v)
        if type(v) is Fraction:
            return sp.Rational(v.numerator, v.denominator)
        return sp.Float(v)


def crosscheck(graph: Graph, values: list[Number], back: Backward, tol: float = 1e-9, budget: float = 20.0,
               progress: Progress | None = None) -> Checks:
    import sympy

    st = _State(graph, values, back, tol, time.monotonic() + budget, budget, sympy, progress or _quiet,
                sympy_partials=[None if p is None else [None] * len(p) for p in back.partials])
    with _alarm(st):
        edges = _local_checks(st)
        nodes, formulas = _node_checks(st)
    return Checks(edges, {i: nodes[i] for i in sorted(nodes)}, formulas, tuple(st.notes))


def _quiet(stage: str, done: int, total: int) -> None:
    """No progress display."""


@contextmanager
def _alarm(st: _State) -> Iterator[None]:
    """Let SIGALRM interrupt a long sympy call: only in the main thread, and only if nobody else uses it."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, signal.SIG_IGN):
        yield
        return

    def ring(signum, frame):
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, ring)
    st.alarm = True
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---- local partials ---------------------------------------------------------------------------

def _local_checks(st: _State) -> dict[tuple[int, int], Check]:
    kinks = set(st.back.kinks)
    rows = ledger(st.graph, st.back)
    edges = {}
    for k, (gate, pos) in enumerate(rows):
        if k % PROGRESS_EVERY == 0:
            st.progress("cross-check: local partials", k, len(rows))
        try:
            edges[(gate, pos)] = _local(st, gate, pos, (gate, pos) in kinks)
        except _OutOfTime:
            edges[(gate, pos)] = st.out_of_time()
    return edges


def _template(st: _State, op: str, arity: int, pos: int) -> _Template:
    key = (op, arity, pos)
    if key not in st.templates:
        st.templates[key] = st.sympy_call(_make_template, st.sp, op, arity, pos)
    return st.templates[key]


def _make_template(sp, op: str, arity: int, pos: int) -> _Template:
    syms = sp.symbols(f"a0:{arity}", real=True)
    expr = OPS[op].sympy(sp, *syms)
    return _Template((op, arity, pos), syms, expr, sp.diff(expr, syms[pos]))


def _compiled(st: _State, t: _Template):
    """The template's derivative as a float function, compiled on first use: exact programs never need it.
    (lambdify sees generated names a0, a1, ... only: no user text reaches it.)"""
    if t.key not in st.compiled:
        st.compiled[t.key] = st.sympy_call(st.sp.lambdify, t.syms, t.d, "math")
    return st.compiled[t.key]


def _local(st: _State, gate: int, pos: int, at_kink: bool) -> Check:
    node = st.graph.nodes[gate]
    args = [st.values[a] for a in node.args]
    ours = st.back.partials[gate][pos]
    t = _template(st, node.op, len(args), pos)
    if at_kink:
        lo, hi = st.sympy_call(_one_sided, st, t.d, t.syms, args, pos)
        st.sympy_partials[gate][pos] = ours
        text = f"[{show(lo)}, {show(hi)}]"
        note = "not differentiable here: any value between the one-sided derivatives is a subgradient"
        return Check("kink" if within(ours, lo, hi, st.tol) else "fail", text, note=note)
    theirs = _evaluate(st, t, args, pos, exact=is_exact(st.values[gate]))
    if theirs is not None and type(theirs) is float and not agree(ours, theirs, st.tol):
        # the template compiled for floats can underflow or overflow on the way (-a/b**2 at
        # b = 1e-160); sympy's own arithmetic cannot, so it has the last word
        theirs = st.sympy_call(_exact_value, st, t, args, pos)
    if theirs is None:
        return Check("skip", note="sympy's derivative is undefined at this point")
    st.sympy_partials[gate][pos] = theirs
    return Check("pass" if agree(ours, theirs, st.tol) else "fail", show(theirs))


def _evaluate(st: _State, t: _Template, args: list[Number], pos: int, exact: bool) -> Number | None:
    """sympy's derivative at the point: exact where the arguments and the gate's value are, else
    through math (a gate the engine let go to float, 3**10**9, is not rebuilt exactly)."""
    if exact and all(is_exact(a) for a in args):
        return st.sympy_call(_exact_value, st, t, args, pos)
    fn = _compiled(st, t)
    try:
        value = float(fn(*[float(a) for a in args]))
    except (ArithmeticError, ValueError, TypeError):
        value = math.nan
    if math.isfinite(value):
        return value
    return st.sympy_call(_removable, st, t, args, pos)


def _exact_value(st: _State, t: _Template, args: list[Number], pos: int) -> Number | None:
    value = _number(t.d.xreplace(dict(zip(t.syms, map(st.number, args), strict=True))))
    return _removable(st, t, args, pos) if value is None else value


def _removable(st: _State, t: _Template, args: list[Number], pos: int) -> Number | None:
    """A removable singularity of the template (d/da a**b = b*a**b/a at a = 0, b = 2):
    substitute the other arguments first, then differentiate and evaluate."""
    others = {s: st.number(a) for i, (s, a) in enumerate(zip(t.syms, args, strict=True)) if i != pos}
    d = st.sp.diff(t.expr.xreplace(others), t.syms[pos])
    return _number(d.xreplace({t.syms[pos]: st.number(args[pos])}))


def _one_sided(st: _State, d, syms, args: list[Number], pos: int) -> tuple[Number, Number]:
    """sympy's derivative just left and just right of the point along one argument."""
    base = {s: st.number(a) for s, a in zip(syms, args, strict=True)}
    step = st.number(KINK_STEP * max(1, abs(Fraction(args[pos]))))
    sides = []
    for sign in (-1, 1):
        point = dict(base)
        point[syms[pos]] = base[syms[pos]] + sign * step
        sides.append(_number(d.xreplace(point)))
    if None in sides:
        return math.nan, math.nan
    lo, hi = sorted(sides)
    return lo, hi


def within(value: Number, lo: Number, hi: Number, tol: float) -> bool:
    """A value between two one-sided derivatives: exactly where all three are exact, else with a
    relative slack; never where a bound is nan."""
    if lo != lo or hi != hi:
        return False
    if is_exact(value) and is_exact(lo) and is_exact(hi):
        return lo <= value <= hi
    slack = tol * max(1.0, abs(float(lo)), abs(float(hi)))
    return float(lo) - slack <= float(value) <= float(hi) + slack


def _number(expr) -> Number | None:
    """A sympy result as an engine number: exact if rational, float if real and finite, else None."""
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q)) if expr.q != 1 else int(expr.p)
    try:
        value = complex(expr.evalf(30))
    except (TypeError, ValueError):
        return None
    if abs(value.imag) > ABS_TOL * max(1.0, abs(value.real)) or not math.isfinite(value.real):
        return None
    return value.real


def agree(ours: Number, theirs: Number, tol: float) -> bool:
    """Exact numbers must be equal; otherwise equal within a relative tolerance."""
    if is_exact(ours) and is_exact(theirs):
        return ours == theirs
    return math.isclose(float(ours), float(theirs), rel_tol=tol, abs_tol=ABS_TOL)


# ---- node totals ------------------------------------------------------------------------------

def _node_checks(st: _State) -> tuple[dict[int, Check], dict[int, str]]:
    """Symbolic totals under the cap; beyond it, or where the budget stopped them, chain and dual."""
    graph = st.graph
    kinked = kinked_nodes(graph, st.back)
    formulas: dict[int, str] = {}
    sizes, depths = expanded(graph, SYMBOLIC_TREE_CAP)
    if sizes[graph.output] <= SYMBOLIC_TREE_CAP and depths[graph.output] <= SYMBOLIC_DEPTH_CAP:
        nodes = _symbolic_inputs(st, kinked, formulas)
        if len(graph.nodes) <= SYMBOLIC_NODE_CAP:
            nodes.update(_symbolic_totals(st, kinked, skip=set(nodes)))
        nodes.update(_chain_totals(st, skip=set(nodes)))
        return nodes, formulas
    nodes = _chain_totals(st, skip=set())
    duals = _dual_checks(st, kinked)
    nodes.update((i, c) for i, c in duals.items() if c.status != "skip" or nodes[i].status == "skip")
    st.notes.append(
        f"the expression is beyond the symbolic cap (expanded size > {SYMBOLIC_TREE_CAP} or depth > "
        f"{SYMBOLIC_DEPTH_CAP}): every local partial is checked against sympy; node gradients are checked by "
        f"re-accumulating sympy's local partials over each node's consumers (chain), and {len(duals)} sampled "
        f"input gradients by forward-mode dual numbers through the whole graph with sympy's local partials (dual)")
    return nodes, formulas


def expanded(graph: Graph, cap: int) -> tuple[list[int], list[int]]:
    """Each node's expression size with every shared node written out again (capped at cap + 1),
    and its depth: what sympy, which works on trees, will face. Counted on the DAG, in one pass."""
    size = [1] * len(graph.nodes)
    depth = [0] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        if node.args:
            size[i] = min(cap + 1, 1 + sum(size[a] for a in node.args))
            depth[i] = 1 + max(depth[a] for a in node.args)
    return size, depth


def _fixed(st: _State, node: int):
    """A node held at its value: literals exactly (formulas read 1, not 1.0), the rest as total_number."""
    value = st.values[node]
    return st.number(value) if st.graph.nodes[node].op == CONST else st.total_number(value)


def _expression(st: _State, free: dict[int, object]):
    """The output as a sympy expression of the `free` nodes; every other node is its value."""
    sp, nodes = st.sp, st.graph.nodes
    out = st.graph.output
    exprs: list = [None] * (out + 1)  # stays None for nodes that do not depend on a free node
    for i in range(out + 1):
        node = nodes[i]
        if i in free:
            exprs[i] = free[i]
        elif node.args and any(exprs[a] is not None for a in node.args):
            args = [_fixed(st, a) if exprs[a] is None else exprs[a] for a in node.args]
            exprs[i] = OPS[node.op].sympy(sp, *args)
    return sp.Integer(0) if exprs[out] is None else exprs[out]


def _total(st: _State, i: int, expr, sym, kinked: bool) -> Check:
    d = st.sp.diff(expr, sym)
    ours = st.back.grads[i]
    if kinked:
        lo, hi = _one_sided(st, d, (sym,), [st.values[i]], 0)
        text = f"[{show(lo)}, {show(hi)}]"
        if within(ours, lo, hi, st.tol):
            return Check("kink", text, note="the gradient passes a kink; it lies between the one-sided derivatives")
        return Check("skip", text, note="the gradient passes a kink, where the subgradient convention differs "
                                        "from the one-sided derivatives (the function may be smooth here)")
    theirs = _number(d.xreplace({sym: st.total_number(st.values[i])}))
    if theirs is None:
        return Check("skip", note="sympy's derivative is undefined at this point")
    return Check("pass" if agree(ours, theirs, st.tol) else "fail", show(theirs))


def _symbolic_inputs(st: _State, kinked: list[bool], formulas: dict[int, str]) -> dict[int, Check]:
    sp = st.sp
    syms = {i: sp.Symbol(st.graph.nodes[i].name, real=True) for i in st.graph.inputs}
    checks = {}
    try:
        expr = st.sympy_call(_expression, st, syms)
        point = {s: st.total_number(st.values[i]) for i, s in syms.items()}
        for i, sym in syms.items():
            formulas[i] = st.sympy_call(_formula, sp.diff, expr, sym)
            others = {s: v for s, v in point.items() if s is not sym}
            checks[i] = st.sympy_call(_total, st, i, expr.xreplace(others), sym, kinked[i])
    except _OutOfTime:
        st.out_of_time()
    return checks


def _symbolic_totals(st: _State, kinked: list[bool], skip: set[int]) -> dict[int, Check]:
    sym = st.sp.Symbol("node", real=True)
    checks = {}
    try:
        for i, node in enumerate(st.graph.nodes):
            if i not in skip and node.op != CONST:
                expr = st.sympy_call(_expression, st, {i: sym})
                checks[i] = st.sympy_call(_total, st, i, expr, sym, kinked[i])
    except _OutOfTime:
        st.out_of_time()
    return checks


def _chain_totals(st: _State, skip: set[int]) -> dict[int, Check]:
    """d out/d node again, summed over the node's consumers with sympy's local partials."""
    graph, grads, sympy_partials = st.graph, st.back.grads, st.sympy_partials
    checks = {}
    for i, node in enumerate(graph.nodes):
        if i in skip or node.op == CONST:
            continue
        total: Number = 1 if i == graph.output else 0
        for gate, pos in graph.consumers[i]:
            locs = sympy_partials[gate]
            if locs is None:
                continue
            if locs[pos] is None:
                checks[i] = Check("skip", how="chain", note="a local partial it depends on was not checked")
                break
            total = total + grads[gate] * locs[pos]
        else:
            checks[i] = Check("pass" if agree(grads[i], total, st.tol) else "fail", show(total), "chain")
    return checks


def _dual_checks(st: _State, kinked: list[bool]) -> dict[int, Check]:
    """d out/d input by forward mode for a spread-out sample of inputs: one pass over the graph each."""
    inputs = [i for i in st.graph.inputs if not kinked[i]]
    sample = inputs[:: max(1, len(inputs) // DUAL_SAMPLE)][:DUAL_SAMPLE]
    checks = {}
    for k, i in enumerate(sample):
        st.progress("cross-check: dual numbers", k, len(sample))
        theirs, magnitude = tangent(st.graph, st.sympy_partials, i)
        if theirs is None:
            checks[i] = Check("skip", how="dual", note="a local partial on its paths was not checked")
            continue
        ours = float(st.back.grads[i])
        # rounding grows with the sum of |path products|, not with the (possibly cancelling) result
        # (the floor keeps results in the subnormal range, 1e-323 against 2.5e-323, from failing)
        close = abs(ours - theirs) <= st.tol * max(abs(theirs), magnitude, _SUBNORMAL_SCALE)
        checks[i] = Check("pass" if close else "fail", show(theirs), "dual")
    return checks


def _formula(diff, expr, sym) -> str:
    text = str(diff(expr, sym))
    return text if len(text) <= 80 else text[:77] + "..."
