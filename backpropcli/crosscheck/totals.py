"""Node totals d out/d node: symbolically while the expanded expression is small (decided on the DAG
before sympy is called); beyond that cap, by re-accumulating sympy's local partials over each node's
consumers (chain) and, for a sample of inputs, by forward-mode dual numbers through the whole graph
with sympy's local partials (dual)."""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Callable, Sequence
from functools import partial
from itertools import compress

from ..autodiff import kinked as kinked_nodes
from ..autodiff import tangent
from ..graph import CONST, NO_ARG, Graph
from ..ops import OPS, show
from .local import NO_SLOPE
from .state import SUBNORMAL_SCALE, Check, OutOfTime, State, Verdicts, agree, engine_number, kept, one_sided, within

SYMBOLIC_TREE_CAP = 2000  # expanded expression size beyond which whole-expression sympy is not tried
SYMBOLIC_NODE_CAP = 200  # nodes beyond which per-node symbolic totals are not tried
SYMBOLIC_DEPTH_CAP = 80  # sympy recurses over expression depth
DUAL_SAMPLE = 8  # inputs checked by forward-mode dual numbers when the graph is beyond the symbolic cap


def node_checks(st: State) -> tuple[Verdicts, dict[int, str]]:
    """Symbolic totals under the cap; beyond it, or where the budget stopped them, chain and dual."""
    graph = st.graph
    kinked = kinked_nodes(graph, st.back)
    formulas: dict[int, str] = {}
    ops = graph.columns.ops
    keys = array("q", compress(range(len(ops)), map(CONST.__ne__, ops)))  # no int object per node held
    if _symbolic(st):
        records = _symbolic_inputs(st, kinked, formulas)
        if len(graph.nodes) <= SYMBOLIC_NODE_CAP:
            records.update(_symbolic_totals(st, kinked, skip=set(records)))
        return _chain_totals(st, keys, records), formulas
    nodes = _chain_totals(st, keys, {})
    duals = _dual_checks(st, kinked)
    nodes.records.update((i, c) for i, c in duals.items() if c.status != "skip" or nodes[i].status == "skip")
    st.notes.append(
        f"the expression is beyond the symbolic cap (expanded size > {SYMBOLIC_TREE_CAP} or depth > "
        f"{SYMBOLIC_DEPTH_CAP}): every local partial is checked against sympy; node gradients are checked by "
        f"re-accumulating sympy's local partials over each node's consumers (chain), and {len(duals)} sampled "
        f"input gradients by forward-mode dual numbers through the whole graph with sympy's local partials (dual)"
    )
    return nodes, formulas


def _symbolic(st: State) -> bool:
    """Whether the output's expression, written out as a tree, is within the symbolic caps. Every
    gate the output reaches (those with local partials) is in that tree at least once, so more of
    them than the cap settles it without counting the tree."""
    partials = st.back.partials
    if len(partials) - partials.count(None) > SYMBOLIC_TREE_CAP:
        return False
    sizes, depths = expanded(st.graph, SYMBOLIC_TREE_CAP)
    return sizes[st.graph.output] <= SYMBOLIC_TREE_CAP and depths[st.graph.output] <= SYMBOLIC_DEPTH_CAP


def expanded(graph: Graph, cap: int) -> tuple[list[int], list[int]]:
    """Each node's expression size with every shared node written out again (capped at cap + 1),
    and its depth: what sympy, which works on trees, will face. Counted on the DAG, in one pass."""
    size = [1] * len(graph.nodes)
    depth = [0] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        args = node[1]
        if len(args) == 2:  # the common case written out: this runs over every node of a large graph
            a, b = args
            total, deep = 1 + size[a] + size[b], depth[a] if depth[a] > depth[b] else depth[b]
            size[i], depth[i] = (total if total <= cap else cap + 1), deep + 1
        elif len(args) == 1:
            a = args[0]
            size[i], depth[i] = (size[a] + 1 if size[a] < cap else cap + 1), depth[a] + 1
        elif args:
            size[i] = min(cap + 1, 1 + sum([size[a] for a in args]))
            depth[i] = 1 + max([depth[a] for a in args])
    return size, depth


def _fixed(st: State, node: int):
    """A node held at its value: literals exactly (formulas read 1, not 1.0), the rest as total_number."""
    value = st.values[node]
    return st.number(value) if st.graph.nodes[node].op == CONST else st.total_number(value)


def _expression(st: State, free: dict[int, object]):
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


def _total(st: State, i: int, expr, sym, kinked: bool) -> Check:
    ours = st.back.grads[i]
    if ours != ours:  # nan: a slope on the way does not exist, so neither does this gradient
        return Check("skip", note=NO_SLOPE)
    d = st.sp.diff(expr, sym)
    if kinked:
        lo, hi = one_sided(st, d, (sym,), [st.values[i]], 0)
        text = f"[{show(lo)}, {show(hi)}]"
        if within(ours, lo, hi, st.tol):
            return Check("kink", text, note="the gradient passes a kink; it lies between the one-sided derivatives")
        return Check(
            "skip",
            text,
            note="the gradient passes a kink, where the subgradient convention differs "
            "from the one-sided derivatives (the function may be smooth here)",
        )
    try:
        theirs = engine_number(d.xreplace({sym: st.total_number(st.values[i])}))
    except TypeError:  # a branch not taken compares a non-real number (cbrt's inside elu's condition)
        return Check("skip", note="sympy cannot evaluate its derivative at this point")
    if theirs is None:
        return Check("skip", note="sympy's derivative is undefined at this point")
    ok = agree(ours, theirs, st.tol) or agree(ours, theirs, st.tol, st.sizes[i])
    return Check("pass" if ok else "fail", show(theirs))


def _symbolic_inputs(st: State, kinked: bytearray, formulas: dict[int, str]) -> dict[int, Check]:
    sp = st.sp
    syms = {i: sp.Symbol(st.graph.nodes[i].name, real=True) for i in st.graph.inputs}
    checks = {}
    try:
        expr = st.sympy_call(_expression, st, syms)
        for i, sym in syms.items():
            formulas[i] = st.sympy_call(_formula, sp.diff, expr, sym)

            def total(i=i, sym=sym):
                others = {s: st.total_number(st.values[k]) for k, s in syms.items() if s is not sym}
                return _total(st, i, expr.xreplace(others), sym, bool(kinked[i]))

            checks[i] = _judged(st, total)
    except OutOfTime:
        st.out_of_time()
    return checks


def _symbolic_totals(st: State, kinked: bytearray, skip: set[int]) -> dict[int, Check]:
    sym = st.sp.Symbol("node", real=True)
    checks = {}
    try:
        for i, node in enumerate(st.graph.nodes):
            if i not in skip and node.op != CONST:

                def total(i: int = i) -> Check:  # judged again at more digits where floats fail
                    return _total(st, i, _expression(st, {i: sym}), sym, bool(kinked[i]))

                checks[i] = _judged(st, total)
    except OutOfTime:
        st.out_of_time()
    return checks


def _judged(st: State, total: Callable[[], Check]) -> Check:
    """A symbolic total, and where it fails with floats about, the same again with sympy at HIGH_DIGITS:
    the point sympy's derivative is evaluated at may cancel away at DIGITS (1 - tanh(40.0)**2)."""
    check = st.sympy_call(total)
    if check.status == "fail" and type(st.values[st.graph.output]) is float:
        check = st.sharper(total)
    return check


def _chain_totals(st: State, keys: Sequence[int], records: dict[int, Check]) -> Verdicts:
    """d out/d node again for every node not in `records`: the sum over the node's consumers of their
    gradient times sympy's local partial, in one pass over the gates (from the last back, as the
    backward pass adds them)."""
    graph, grads = st.graph, st.back.grads
    totals, missing = _resummed(graph, grads, st.sympy_partials)
    # equal numbers pass whatever their kind: only the others are looked at one by one (in C up to there)
    equal = map(operator.eq, map(grads.__getitem__, keys), map(totals.__getitem__, keys))
    doubtful = list(compress(keys, map(operator.not_, equal)))
    if 1 in missing:
        doubtful = sorted(set(doubtful).union(i for i in keys if missing[i]))
    close = partial(math.isclose, rel_tol=st.tol, abs_tol=st.tol * SUBNORMAL_SCALE)
    for i in doubtful:
        if i in records:
            continue
        if missing[i]:
            records[i] = Check("skip", how="chain", note="a local partial it depends on was not checked")
            continue
        ours, theirs = grads[i], totals[i]
        try:
            ok = close(ours, theirs) if type(ours) is float or type(theirs) is float else ours == theirs
        except OverflowError:
            ok = False
        if not ok and not agree(ours, theirs, st.tol, st.sizes[i]):
            records[i] = Check("fail", show(theirs), "chain")
    ops = graph.columns.ops
    return Verdicts(keys, records, lambda i: totals[i] if i >= 0 and ops[i] != CONST else None, "chain")


def _resummed(graph: Graph, grads: tuple, sympy_partials: list) -> tuple[list, bytearray]:
    """Per node, the sum over its consumers of their gradient times sympy's local partial (1 more at
    the output), and whether a partial it needs was not checked. The gates are taken from the last
    back, as the backward pass takes them, so a node's sum is whole when its own turn comes: it is
    held then as ours where it is ours bit for bit (no second float per node stays behind)."""
    c = graph.columns
    totals: list = [0] * len(c)
    totals[graph.output] = 1
    missing = bytearray(len(c))
    backwards = range(len(c) - 1, -1, -1)
    for gate, locs, a, b in zip(backwards, reversed(sympy_partials), reversed(c.arg0), reversed(c.arg1), strict=True):
        total, g = totals[gate], grads[gate]  # every consumer of the gate came before it
        if type(total) is type(g) and total == g:  # a nonzero number equal to ours is ours, in line
            totals[gate] = g if total or type(g) is not float else kept(g, total)  # a zero with a sign: a float
        if locs is None:
            continue
        if b >= 0:  # the common arities written out (a constant argument's partial is not checked: None)
            local = locs[0]
            if local is None:
                missing[a] = 1
            else:
                totals[a] = totals[a] + g * local
            local = locs[1]
            if local is None:
                missing[b] = 1
            else:
                totals[b] = totals[b] + g * local
            continue
        if b == NO_ARG:
            local = locs[0]
            if local is None:
                missing[a] = 1
            else:
                totals[a] = totals[a] + g * local
            continue
        for a, local in zip(c.more[gate], locs, strict=True):
            if local is None:
                missing[a] = 1
            else:
                totals[a] = totals[a] + g * local
    return totals, missing


def _dual_checks(st: State, kinked: bytearray) -> dict[int, Check]:
    """d out/d input by forward mode for a spread-out sample of inputs, all carried in one pass (one
    lane per input). Where one disagrees, its own pass again with the sum of |path products| that
    bounds its rounding; where a partial on the way was not checked, its own pass says so."""
    inputs = [i for i in st.graph.inputs if not kinked[i]]
    sample = inputs[:: max(1, len(inputs) // DUAL_SAMPLE)][:DUAL_SAMPLE]
    st.progress("cross-check: dual numbers", 0, len(sample))
    # one seed goes faster on its own (no list per node), and then its bound comes with it
    lanes = _lanes(st.graph, st.sympy_partials, sample) if len(sample) > 1 else None
    checks = {}
    for k, i in enumerate(sample):
        ours = float(st.back.grads[i])
        theirs, magnitude = (lanes[k], 0.0) if lanes is not None else tangent(st.graph, st.sympy_partials, i)
        # rounding grows with the sum of |path products|, not with the (possibly cancelling) result
        # (the floor keeps results in the subnormal range, 1e-323 against 2.5e-323, from failing)
        if theirs is not None and abs(ours - theirs) > st.tol * max(abs(theirs), magnitude, SUBNORMAL_SCALE):
            theirs, magnitude = tangent(st.graph, st.sympy_partials, i)
        if theirs is None:
            checks[i] = Check("skip", how="dual", note="a local partial on its paths was not checked")
            continue
        close = abs(ours - theirs) <= st.tol * max(abs(theirs), magnitude, SUBNORMAL_SCALE)
        checks[i] = Check("pass" if close else "fail", show(theirs), "dual")
    return checks


def _lanes(graph: Graph, partials: list, seeds: list[int]) -> list[float] | None:
    """d output / d seed for every seed at once: forward mode carrying one tangent per seed, each seed's
    in a flat array of floats (0.0 where a node does not depend on it, which adds nothing), not a list
    per node. None where a partial on the way is missing."""
    c, out = graph.columns, graph.output
    lanes = [array("d", bytes(8 * len(c))) for _ in seeds]
    on = bytearray(len(c))  # whether the node depends on any seed
    for lane, seed in zip(lanes, seeds, strict=True):
        lane[seed] = 1.0
        on[seed] = 1
    arg0, arg1 = c.arg0, c.arg1
    try:
        for i in range(min(seeds) + 1, out + 1):
            locs = partials[i]
            if locs is None:
                continue
            a, b = arg0[i], arg1[i]
            if b >= 0:  # the common case written out: a, b, both or neither on a seed's paths
                if on[a] and on[b]:
                    la, lb = float(locs[0]), float(locs[1])
                    for lane in lanes:
                        lane[i] = la * lane[a] + lb * lane[b]
                elif on[a] or on[b]:
                    local, a = (float(locs[0]), a) if on[a] else (float(locs[1]), b)
                    for lane in lanes:
                        lane[i] = local * lane[a]
                else:
                    continue
            elif b == NO_ARG and a >= 0:
                if not on[a]:
                    continue
                local = float(locs[0])
                for lane in lanes:
                    lane[i] = local * lane[a]
            else:
                terms = [(float(local), a) for a, local in zip(c.args(i), locs, strict=True) if on[a]]
                if not terms:
                    continue
                for lane in lanes:  # in argument order, as one pass per seed sums them
                    local, a = terms[0]
                    total = local * lane[a]
                    for local, a in terms[1:]:
                        total = total + local * lane[a]
                    lane[i] = total
            on[i] = 1
    except TypeError:  # float(None): a partial that was not checked
        return None
    return [lane[out] for lane in lanes]


def _formula(diff, expr, sym) -> str:
    """Whole: each renderer decides where a long formula goes (below a table, whole in notes)."""
    return str(diff(expr, sym))
