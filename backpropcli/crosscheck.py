"""Cross-check stage: sympy re-derives what the backward pass computed, independently.

Every local partial is checked against sympy's derivative of its op (one template per op kind,
compiled once). Node totals d out/d node are checked symbolically while the expanded
expression is small; beyond that cap, by re-accumulating sympy's locals (the chain rule
edge by edge) and by central finite differences on a sample of inputs. At a kink the check
is that our value lies between sympy's one-sided derivatives.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from .autodiff import Backward, forward, ledger
from .autodiff import kinked as kinked_nodes
from .graph import CONST, Graph
from .ops import OPS, Number, is_exact, show

SYMBOLIC_TREE_CAP = 2000  # expanded expression size beyond which whole-expression sympy is not tried
SYMBOLIC_NODE_CAP = 200  # nodes beyond which per-node symbolic totals are not tried
SYMBOLIC_DEPTH_CAP = 80  # sympy recurses over expression depth
FD_SAMPLE = 8  # inputs checked by finite differences when the graph is beyond the symbolic cap
ABS_TOL = 1e-12
KINK_STEP = Fraction(1, 10**12)


@dataclass(frozen=True)
class Check:
    status: str  # pass | fail | kink (within the one-sided derivatives) | skip
    expected: str = ""  # sympy's number (or interval), as text
    how: str = "sympy"  # sympy | chain | fd
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


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds

    @property
    def spent(self) -> bool:
        return time.monotonic() > self.deadline


class _Template(NamedTuple):
    syms: tuple
    expr: object  # the op's sympy expression in syms
    d: object  # its derivative along one argument
    fn: object  # d compiled for floats (generated names a0, a1, ... only: no user text reaches it)


@dataclass
class _State:
    """Scratch for one cross-check run; nothing of it outlives the call."""

    graph: Graph
    values: list
    back: Backward
    tol: float
    budget: _Budget
    sp: object
    templates: dict = field(default_factory=dict)
    sympy_locals: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)


def crosscheck(graph: Graph, values: list[Number], back: Backward, tol: float = 1e-9,
               budget: float = 20.0) -> Checks:
    import sympy

    st = _State(graph, values, back, tol, _Budget(budget), sympy)
    kinks = set(back.kinks)
    edges = {}
    for gate, pos in ledger(graph, back):
        edges[(gate, pos)] = _skip_budget(st) or _local(st, gate, pos, (gate, pos) in kinks)
    kinked = kinked_nodes(graph, back)
    small = _tree_size(graph) <= SYMBOLIC_TREE_CAP and _depth(graph) <= SYMBOLIC_DEPTH_CAP
    formulas: dict[int, str] = {}
    if small:
        nodes = _symbolic_inputs(st, kinked, formulas)
        if len(graph.nodes) <= SYMBOLIC_NODE_CAP:
            nodes.update(_symbolic_totals(st, kinked, skip=set(nodes)))
        else:
            nodes.update(_chain_totals(st, skip=set(nodes)))
    else:
        st.notes.append(f"the expression is beyond the symbolic cap (expanded size > {SYMBOLIC_TREE_CAP} or "
                        f"depth > {SYMBOLIC_DEPTH_CAP}): node gradients are checked by re-accumulating sympy's "
                        f"local partials, input gradients also by central finite differences on a sample")
        nodes = _chain_totals(st, skip=set())
        nodes.update(_finite_differences(st, kinked))
    ordered = {i: nodes[i] for i in sorted(nodes)}
    return Checks(edges, ordered, formulas, tuple(st.notes))


def _skip_budget(st: _State) -> Check | None:
    if st.budget.spent:
        note = f"the cross-check's time budget of {st.budget.seconds:g}s ran out"
        if note not in st.notes:
            st.notes.append(note)
        return Check("skip", note=note)
    return None


# ---- local partials ---------------------------------------------------------------------------

def _template(st: _State, op: str, arity: int, pos: int) -> _Template:
    key = (op, arity, pos)
    if key not in st.templates:
        sp = st.sp
        syms = sp.symbols(f"a0:{arity}", real=True)
        expr = OPS[op].sympy(sp, *syms)
        d = sp.diff(expr, syms[pos])
        st.templates[key] = _Template(syms, expr, d, sp.lambdify(syms, d, modules="math"))
    return st.templates[key]


def _local(st: _State, gate: int, pos: int, at_kink: bool) -> Check:
    node = st.graph.nodes[gate]
    args = [st.values[a] for a in node.args]
    ours = st.back.partials[gate][pos]
    t = _template(st, node.op, len(args), pos)
    if at_kink:
        lo, hi = _one_sided(st, t.d, t.syms, args, pos)
        st.sympy_locals[(gate, pos)] = ours
        text = f"[{show(lo)}, {show(hi)}]"
        note = "not differentiable here: any value between the one-sided derivatives is a subgradient"
        return Check("kink" if _within(st, ours, lo, hi) else "fail", text, note=note)
    theirs = _evaluate(st, t, args, pos)
    if theirs is None:
        return Check("skip", note="sympy's derivative is undefined at this point")
    st.sympy_locals[(gate, pos)] = theirs
    return Check("pass" if agree(ours, theirs, st.tol) else "fail", show(theirs))


def _evaluate(st: _State, t: _Template, args: list[Number], pos: int) -> Number | None:
    """sympy's derivative at the point: exact where the arguments are, else through math."""
    to_sym = _sym_number(st)
    if all(is_exact(a) for a in args):
        value = _number(st, t.d.xreplace(dict(zip(t.syms, map(to_sym, args), strict=True))))
    else:
        try:
            value = float(t.fn(*[float(a) for a in args]))
        except (ArithmeticError, ValueError, TypeError):
            value = None
    if value is None or (type(value) is float and not math.isfinite(value)):
        # A removable singularity of the template (d/da a**b = b*a**b/a at a = 0, b = 2):
        # substitute the other arguments first, then differentiate and evaluate.
        others = {s: to_sym(a) for i, (s, a) in enumerate(zip(t.syms, args, strict=True)) if i != pos}
        d = st.sp.diff(t.expr.xreplace(others), t.syms[pos])
        value = _number(st, d.xreplace({t.syms[pos]: to_sym(args[pos])}))
    return value


def _one_sided(st: _State, d, syms, args: list[Number], pos: int) -> tuple[Number, Number]:
    """sympy's derivative just left and just right of the point along one argument."""
    to_sym = _sym_number(st)
    base = {s: to_sym(a) for s, a in zip(syms, args, strict=True)}
    step = to_sym(KINK_STEP * max(1, abs(Fraction(args[pos]))))
    sides = []
    for sign in (-1, 1):
        point = dict(base)
        point[syms[pos]] = base[syms[pos]] + sign * step
        sides.append(_number(st, d.xreplace(point)))
    if None in sides:
        return math.nan, math.nan
    lo, hi = sorted(sides)
    return lo, hi


def _within(st: _State, ours: Number, lo: Number, hi: Number) -> bool:
    if math.nan in (lo, hi) or lo != lo or hi != hi:
        return False
    if is_exact(ours) and is_exact(lo) and is_exact(hi):
        return lo <= ours <= hi
    slack = st.tol * max(1.0, abs(float(lo)), abs(float(hi)))
    return float(lo) - slack <= float(ours) <= float(hi) + slack


# ---- numbers between sympy and the engine -----------------------------------------------------

def _sym_number(st: _State):
    sp = st.sp

    def convert(v: Number):
        if type(v) is int:
            return sp.Integer(v)
        if type(v) is Fraction:
            return sp.Rational(v.numerator, v.denominator)
        return sp.Float(v)

    return convert


def _number(st: _State, expr) -> Number | None:
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

def _tree_size(graph: Graph) -> int:
    """Size of the output's expression with every shared node written out again (capped)."""
    size = [1] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        if node.args:
            size[i] = min(SYMBOLIC_TREE_CAP + 1, 1 + sum(size[a] for a in node.args))
    return size[graph.output]


def _depth(graph: Graph) -> int:
    depth = [0] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        if node.args:
            depth[i] = 1 + max(depth[a] for a in node.args)
    return depth[graph.output]


def _expression(st: _State, free: dict[int, object]):
    """The output as a sympy expression of the `free` nodes; every other node is its value."""
    sp, nodes, to_sym = st.sp, st.graph.nodes, _sym_number(st)
    out = st.graph.output
    exprs: list = [None] * (out + 1)  # stays None for nodes that do not depend on a free node
    for i in range(out + 1):
        node = nodes[i]
        if i in free:
            exprs[i] = free[i]
        elif node.args and any(exprs[a] is not None for a in node.args):
            args = [to_sym(st.values[a]) if exprs[a] is None else exprs[a] for a in node.args]
            exprs[i] = OPS[node.op].sympy(sp, *args)
    return sp.Integer(0) if exprs[out] is None else exprs[out]


def _total(st: _State, i: int, expr, sym, kinked: bool, how: str = "sympy") -> Check:
    d = st.sp.diff(expr, sym)
    ours = st.back.grads[i]
    to_sym = _sym_number(st)
    if kinked:
        lo, hi = _one_sided(st, d, (sym,), [st.values[i]], 0)
        text = f"[{show(lo)}, {show(hi)}]"
        if _within(st, ours, lo, hi):
            return Check("kink", text, how, "the gradient passes a kink; it lies between the one-sided derivatives")
        return Check("skip", text, how, "the gradient passes a kink, where the subgradient convention differs "
                                        "from the one-sided derivatives (the function may be smooth here)")
    theirs = _number(st, d.xreplace({sym: to_sym(st.values[i])}))
    if theirs is None:
        return Check("skip", how=how, note="sympy's derivative is undefined at this point")
    return Check("pass" if agree(ours, theirs, st.tol) else "fail", show(theirs), how)


def _symbolic_inputs(st: _State, kinked: list[bool], formulas: dict[int, str]) -> dict[int, Check]:
    sp = st.sp
    syms = {i: sp.Symbol(st.graph.nodes[i].name, real=True) for i in st.graph.inputs}
    expr = _expression(st, syms)
    point = {s: _sym_number(st)(st.values[i]) for i, s in syms.items()}
    checks = {}
    for i, sym in syms.items():
        if st.budget.spent:
            break
        d = sp.diff(expr, sym)
        formulas[i] = _formula(d)
        others = {s: v for s, v in point.items() if s is not sym}
        checks[i] = _total(st, i, expr.xreplace(others), sym, kinked[i])
    return checks


def _symbolic_totals(st: _State, kinked: list[bool], skip: set[int]) -> dict[int, Check]:
    sym = st.sp.Symbol("node", real=True)
    checks = {}
    for i, node in enumerate(st.graph.nodes):
        if i in skip or node.op == CONST:
            continue
        if st.budget.spent:
            break
        checks[i] = _total(st, i, _expression(st, {i: sym}), sym, kinked[i])
    return checks


def _chain_totals(st: _State, skip: set[int]) -> dict[int, Check]:
    """d out/d node again, summed over the node's consumers with sympy's local partials."""
    graph, back = st.graph, st.back
    checks = {}
    for i, node in enumerate(graph.nodes):
        if i in skip or node.op == CONST:
            continue
        total: Number = 1 if i == graph.output else 0
        missing = False
        for gate, pos in graph.consumers[i]:
            if back.partials[gate] is None:
                continue
            local = st.sympy_locals.get((gate, pos))
            if local is None:
                missing = True
                break
            total = total + back.grads[gate] * local
        if missing:
            checks[i] = Check("skip", how="chain", note="a local partial it depends on was not checked")
        else:
            checks[i] = Check("pass" if agree(back.grads[i], total, st.tol) else "fail", show(total), "chain")
    return checks


def _finite_differences(st: _State, kinked: list[bool]) -> dict[int, Check]:
    """Central differences of the whole forward pass for a spread-out sample of inputs."""
    inputs = [i for i in st.graph.inputs if not kinked[i]]
    step = max(1, len(inputs) // FD_SAMPLE)
    checks = {}
    names = {i: st.graph.nodes[i].name for i in inputs}
    point = {names[i]: st.values[i] for i in inputs}
    for i in inputs[::step][:FD_SAMPLE]:
        if st.budget.spent:
            break
        x = float(st.values[i])
        h = 1e-6 * max(1.0, abs(x))
        try:
            up = forward(st.graph, {**point, names[i]: x + h})[st.graph.output]
            down = forward(st.graph, {**point, names[i]: x - h})[st.graph.output]
        except (ArithmeticError, ValueError) as exc:
            checks[i] = Check("skip", how="fd", note=f"the function is not defined next to the point ({exc})")
            continue
        fd = (float(up) - float(down)) / (2 * h)
        ours = float(st.back.grads[i])
        scale = max(1.0, abs(float(st.values[st.graph.output])))
        close = math.isclose(fd, ours, rel_tol=1e-4, abs_tol=1e-8 * scale / h)
        checks[i] = Check("pass" if close else "fail", show(fd), "fd")
    return checks


def _formula(d) -> str:
    text = str(d)
    return text if len(text) <= 80 else text[:77] + "..."
