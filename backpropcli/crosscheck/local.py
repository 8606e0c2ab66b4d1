"""Every local partial against sympy's derivative of its op: one template per op kind and argument,
differentiated once, compiled for floats on first use, evaluated per edge (exactly where the
arguments are exact). At a kink, our value must lie between sympy's one-sided derivatives."""

from __future__ import annotations

import math

from ..autodiff import ledger
from ..ops import OPS, Number, is_exact, show
from .state import Check, OutOfTime, State, Template, agree, engine_number, one_sided, within

PROGRESS_EVERY = 4096  # edges between two progress reports


def local_checks(st: State) -> dict[tuple[int, int], Check]:
    kinks = set(st.back.kinks)
    rows = ledger(st.graph, st.back)
    edges = {}
    for k, (gate, pos) in enumerate(rows):
        if k % PROGRESS_EVERY == 0:
            st.progress("cross-check: local partials", k, len(rows))
        try:
            edges[(gate, pos)] = _local(st, gate, pos, (gate, pos) in kinks)
        except OutOfTime:
            edges[(gate, pos)] = st.out_of_time()
    return edges


def _template(st: State, op: str, arity: int, pos: int) -> Template:
    key = (op, arity, pos)
    if key not in st.templates:
        st.templates[key] = st.sympy_call(_make_template, st.sp, op, arity, pos)
    return st.templates[key]


def _make_template(sp, op: str, arity: int, pos: int) -> Template:
    syms = sp.symbols(f"a0:{arity}", real=True)
    expr = OPS[op].sympy(sp, *syms)
    return Template((op, arity, pos), syms, expr, sp.diff(expr, syms[pos]))


def _compiled(st: State, t: Template):
    """The template's derivative as a float function, compiled on first use: exact programs never need it.
    (lambdify sees generated names a0, a1, ... only: no user text reaches it.)"""
    if t.key not in st.compiled:
        st.compiled[t.key] = st.sympy_call(st.sp.lambdify, t.syms, t.d, "math")
    return st.compiled[t.key]


def _local(st: State, gate: int, pos: int, at_kink: bool) -> Check:
    node = st.graph.nodes[gate]
    args = [st.values[a] for a in node.args]
    ours = st.back.partials[gate][pos]
    t = _template(st, node.op, len(args), pos)
    if at_kink:
        lo, hi = st.sympy_call(one_sided, st, t.d, t.syms, args, pos)
        st.sympy_partials[gate][pos] = ours
        text = f"[{show(lo)}, {show(hi)}]"
        note = "not differentiable here: any value between the one-sided derivatives is a subgradient"
        return Check("kink" if within(ours, lo, hi, st.tol) else "fail", text, note=note)
    theirs = _evaluate(st, t, args, pos, exact=is_exact(st.values[gate]))
    if theirs is not None and type(theirs) is float and not agree(ours, theirs, st.tol):
        # the template compiled for floats can underflow, overflow or cancel on the way (-a/b**2 at
        # b = 1e-160, 1 - tanh(a)**2 at a = 40); sympy's own arithmetic at high precision cannot,
        # so it has the last word
        theirs = st.sharper(_exact_value, st, t, args, pos)
    if theirs is None:
        return Check("skip", note="sympy's derivative is undefined at this point")
    st.sympy_partials[gate][pos] = theirs
    return Check("pass" if agree(ours, theirs, st.tol) else "fail", show(theirs))


def _evaluate(st: State, t: Template, args: list[Number], pos: int, exact: bool) -> Number | None:
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


def _exact_value(st: State, t: Template, args: list[Number], pos: int) -> Number | None:
    value = engine_number(t.d.xreplace(dict(zip(t.syms, map(st.number, args), strict=True))))
    return _removable(st, t, args, pos) if value is None else value


def _removable(st: State, t: Template, args: list[Number], pos: int) -> Number | None:
    """A removable singularity of the template (d/da a**b = b*a**b/a at a = 0, b = 2):
    substitute the other arguments first, then differentiate and evaluate."""
    others = {s: st.number(a) for i, (s, a) in enumerate(zip(t.syms, args, strict=True)) if i != pos}
    d = st.sp.diff(t.expr.xreplace(others), t.syms[pos])
    return engine_number(d.xreplace({t.syms[pos]: st.number(args[pos])}))
