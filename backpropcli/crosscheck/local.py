"""Every local partial against sympy's derivative of its op: one template per op kind, arity and argument,
differentiated once and compiled once into a plain Python function, then evaluated for all the edges of
that kind in one loop. At a kink, our value must lie between sympy's one-sided derivatives.

The compiled function is sympy's derivative printed as Python (`lambdify`): with float arguments it is
the template in floats; with exact ones, where it uses only + - * / and integer powers, it is the
template in exact arithmetic (no float constant in it, else its result is a float and sympy's own
arithmetic decides). A float result that does not agree with ours is never the verdict: sympy's
arithmetic at high precision has the last word, and only then may an edge fail.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from functools import partial
from itertools import compress, repeat
from operator import and_, eq, getitem, is_, is_not, not_

from ..graph import CONST, Columns
from ..ops import OPS, Constant, Number, is_exact, show
from .state import SUBNORMAL_SCALE, Check, OutOfTime, State, Template, Verdicts, agree, engine_number, one_sided, within


def local_checks(st: State, rows: Callable[[], Sequence[tuple[int, int]]]) -> Verdicts:
    """Checks of the ledger's edges (`rows` lists them, in its order): sympy's partials go to
    st.found, then sealed to st.sympy_partials, and only what is not a plain pass becomes a record."""
    records: dict[tuple[int, int], Check] = {}
    kinds = _kinds(st)
    total = sum(map(len, kinds.values()))
    done = 0
    for key, gates in kinds.items():
        try:
            t = _template(st, *key)
            # a kind at a time in chunks: what one chunk builds stays a fixed size, not one per gate
            for start in range(0, len(gates), CHUNK):
                st.progress("cross-check: local partials", done, total)
                _kind(st, t, list(gates[start : start + CHUNK]), records)
                done += min(CHUNK, len(gates) - start)
        except OutOfTime:
            for gate in gates:
                if (gate, key[2]) not in records:
                    records[(gate, key[2])] = st.out_of_time()
            done += len(gates)  # pragma: no mutate  (progress only)
    partials = st.sympy_partials = st.found.sealed(st.back.partials)

    def number(edge: tuple[int, int]) -> Number | None:
        gate, pos = edge
        return partials[gate][pos] if gate >= 0 and pos >= 0 else None

    return Verdicts(rows, records, number, "sympy", size=total)


CHUNK = 1 << 16  # gates of one kind taken at a time


def _kinds(st: State) -> dict[tuple[str, int, int], Sequence[int]]:
    """The ledger's gates grouped by (op, arity, argument position), each group in id order."""
    c, partials = st.graph.columns, st.back.partials
    # gate ids in arrays, not lists: no int object per gate held while the kinds are checked
    live = array("q", compress(range(len(partials)), map(is_not, partials, repeat(None))))
    ops = list(map(c.ops.__getitem__, live))
    used = dict.fromkeys(ops)  # in order of first use
    # per node: not a constant (in C); without constants in the graph every edge varies
    varies_at = list(map(CONST.__ne__, c.ops)) if CONST in c.ops else None
    kinds: dict[tuple[str, int, int], Sequence[int]] = {}
    for op in used:
        gates = live if len(used) == 1 else array("q", compress(live, map(op.__eq__, ops)))  # a pass in C per op
        least, most = OPS[op].arity
        by_arity: Mapping[int, Sequence[int]] = {least: gates} if least == most else _by_arity(c, gates)
        for arity, group in by_arity.items():
            for pos in range(arity):
                if varies_at is None:
                    kind = group
                else:  # an edge into a constant carries nothing
                    varies = list(map(varies_at.__getitem__, _argument(c, group, arity, pos)))
                    kind = group if all(varies) else array("q", compress(group, varies))
                if kind:
                    kinds[(op, arity, pos)] = kind
    return kinds


def _argument(c: Columns, gates: Sequence[int], arity: int, pos: int) -> list[int]:
    """The ids of argument `pos` of each gate (all of one arity), read from the columns in C."""
    if arity <= 2:
        return list(map((c.arg0 if pos == 0 else c.arg1).__getitem__, gates))
    return [c.more[gate][pos] for gate in gates]


def _by_arity(c: Columns, gates: Sequence[int]) -> dict[int, array]:
    """Gates of an op that takes any number of arguments, by how many they take."""
    groups: dict[int, array] = {}
    for gate in gates:
        groups.setdefault(len(c.args(gate)), array("q")).append(gate)
    return groups


def _kind(st: State, t: Template, gates: list[int], records: dict) -> None:
    """One kind's edges: floats through the compiled template in one pass, compared in bulk; exact
    ones through it in exact arithmetic, in bulk too; kinks, and every edge that does not agree at
    once, one by one."""
    _, arity, pos = t.key
    if _constant(st, t, gates):
        return
    c, values = st.graph.columns, st.values
    columns = [list(map(values.__getitem__, _argument(c, gates, arity, j))) for j in range(arity)]
    # gates whose value and arguments are all exact are taken exactly
    exact = list(map(is_not, map(type, map(values.__getitem__, gates)), repeat(float)))
    for column in columns if any(exact) else ():
        exact = list(map(and_, exact, map(is_not, map(type, column), repeat(float))))
    kink = [(gate, pos) in st.kinks for gate in gates] if st.kinks else [False] * len(gates)
    single = list(compress(gates, kink))
    kinked = bool(single)
    for bulk, mask in ((_exacts, exact), (_floats, list(map(not_, exact)))):
        keep = list(map(and_, mask, map(not_, kink))) if kinked else mask
        these = list(compress(gates, keep))
        if these:
            single += bulk(st, t, these, [list(compress(column, keep)) for column in columns])
    for gate in sorted(single):
        try:
            check = _local(st, t, gate)
        except OutOfTime:
            check = st.out_of_time()
        if check.status != "pass":
            records[(gate, pos)] = check


def _constant(st: State, t: Template, gates: list[int]) -> bool:
    """A kind whose rule is a constant slope (add's 1, sub's -1), where sympy's derivative is that very
    integer and every gate holds the rule's own slopes: each edge passes with our number, told once for
    the kind instead of per edge. False leaves the kind to the general way (a swapped rule, another slope)."""
    op, arity, pos = t.key
    rule = OPS[op].partials
    if type(rule) is not Constant or arity > 2 or OPS[op].kink is not None or not t.d.is_Integer:
        return False
    slopes = rule.slopes
    slope = slopes[pos]
    if type(slope) is not int or slope != int(t.d):
        return False
    partials: Sequence = st.back.partials
    if not all(map(is_, map(partials.__getitem__, gates), repeat(slopes))):
        return False
    st.found.put_one(pos, gates, slope)
    return True


def _exacts(st: State, t: Template, gates: list[int], columns: list[list]) -> list[int]:
    """The compiled template over exact columns in one pass (a constant integer slope needs none):
    where it stays exact (+ - * / and integer powers of exact numbers) and equals ours, sympy's number
    is kept; every other gate is returned, to be judged one by one (a float constant in the template,
    a division by 0)."""
    pos = t.key[2]
    try:
        theirs = [int(t.d)] * len(gates) if t.d.is_Integer else list(map(_compiled(st, t), *columns))
    except (ArithmeticError, ValueError, TypeError):
        return gates
    kinds = set(map(type, theirs))
    if Fraction in kinds:  # a whole Fraction is the int sympy gives
        theirs = [v.numerator if type(v) is Fraction and v.denominator == 1 else v for v in theirs]
    if not kinds <= {int, Fraction}:  # a float constant in the template: one by one
        plain = [type(v) is int or type(v) is Fraction for v in theirs]
        doubtful = list(compress(gates, map(not_, plain)))
        gates, theirs = list(compress(gates, plain)), list(compress(theirs, plain))
    else:
        doubtful = []
    ours = _ours(st, gates, pos)
    same = list(map(eq, ours, theirs))
    st.found.put_all(pos, gates, theirs, ours, same)
    return sorted(doubtful + list(compress(gates, map(not_, same))))


def _ours(st: State, gates: list[int], pos: int) -> list[Number]:
    """Our local partial at `pos` of each gate, in C."""
    partials: Sequence[Sequence[Number]] = st.back.partials  # type: ignore[assignment]  # gates that reach the output
    return list(map(getitem, map(partials.__getitem__, gates), repeat(pos)))


def _floats(st: State, t: Template, gates: list[int], columns: list[list]) -> list[int]:
    """The compiled template over float columns in one pass (a constant integer slope needs no pass),
    compared with ours in bulk: the gates that agree get sympy's number; the others are returned, to
    be judged one by one."""
    pos = t.key[2]
    fn = _compiled(st, t)
    ours = _ours(st, gates, pos)
    close = partial(math.isclose, rel_tol=st.tol, abs_tol=st.tol * SUBNORMAL_SCALE)
    try:  # float() of a huge exact argument overflows too
        if t.d.is_Integer:  # a constant slope (add, sub, neg): sympy's own integer at every gate
            theirs: list[Number] = [int(t.d)] * len(gates)
        else:
            columns = [c if set(map(type, c)) == {float} else list(map(float, c)) for c in columns]
            theirs = list(map(float, map(fn, *columns)))
        verdicts = list(map(close, ours, theirs))
    except (ArithmeticError, ValueError, TypeError):  # somewhere outside the template's domain
        return gates
    st.found.put_all(pos, gates, theirs, ours, verdicts)
    return list(compress(gates, map(not_, verdicts)))


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
    """The template's derivative as a plain Python function, compiled once per kind.
    (lambdify sees generated names a0, a1, ... only: no user text reaches it.)"""
    if t.key not in st.compiled:
        st.compiled[t.key] = st.sympy_call(st.sp.lambdify, t.syms, t.d, "math")
    return st.compiled[t.key]


NO_SLOPE = "the slope does not exist here (a jump, or an infinite slope): the gradients that need it are undefined"


def _local(st: State, t: Template, gate: int) -> Check:
    pos = t.key[2]
    args = [st.values[a] for a in st.graph.columns.args(gate)]
    ours = st.back.local(gate, pos)
    if ours != ours:  # nan: the engine found no slope here (a jump, an infinite slope): nothing to compare
        return Check("skip", note=NO_SLOPE)
    if (gate, pos) in st.kinks:
        lo, hi = st.sympy_call(one_sided, st, t.d, t.syms, args, pos)
        st.found.put(gate, pos, ours, ours)
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
    st.found.put(gate, pos, theirs, ours)
    return Check("pass" if agree(ours, theirs, st.tol) else "fail", show(theirs))


def _evaluate(st: State, t: Template, args: list[Number], pos: int, exact: bool) -> Number | None:
    """sympy's derivative at the point: exact where the arguments and the gate's value are, else
    through math (a gate the engine let go to float, 3**10**9, is not rebuilt exactly)."""
    if exact and all(is_exact(a) for a in args):
        value = _rational(_compiled(st, t), args)
        return st.sympy_call(_exact_value, st, t, args, pos) if value is None else value
    fn = _compiled(st, t)
    try:
        value = float(fn(*[float(a) for a in args]))
    except (ArithmeticError, ValueError, TypeError):
        value = math.nan
    if math.isfinite(value):
        return value
    return st.sympy_call(_removable, st, t, args, pos)


def _rational(fn, args: list[Number]) -> Number | None:
    """The compiled template in exact arithmetic: None where its result is not exact (a float
    constant, a function of math, a fractional power) or it has no value here (a division by 0)."""
    try:
        value = fn(*args)
        if type(value) is float:  # 1/a1 with an integer a1: the same again with fractions
            value = fn(*[Fraction(a) for a in args])
    except (ArithmeticError, ValueError, TypeError):
        return None
    if type(value) is int:
        return value
    if type(value) is Fraction:
        return value.numerator if value.denominator == 1 else value
    return None


def _exact_value(st: State, t: Template, args: list[Number], pos: int) -> Number | None:
    value = engine_number(t.d.xreplace(dict(zip(t.syms, map(st.number, args), strict=True))))
    return _removable(st, t, args, pos) if value is None else value


def _removable(st: State, t: Template, args: list[Number], pos: int) -> Number | None:
    """A removable singularity of the template (d/da a**b = b*a**b/a at a = 0, b = 2):
    substitute the other arguments first, then differentiate and evaluate."""
    others = {s: st.number(a) for i, (s, a) in enumerate(zip(t.syms, args, strict=True)) if i != pos}
    d = st.sp.diff(t.expr.xreplace(others), t.syms[pos])
    return engine_number(d.xreplace({t.syms[pos]: st.number(args[pos])}))
