"""Node totals d out/d node: symbolically while the expanded expression is small (decided on the DAG
before sympy is called); beyond that cap, by re-accumulating sympy's local partials over each node's
consumers (chain) and, for a sample of inputs, by forward-mode dual numbers through the whole graph
with sympy's local partials (dual)."""

from __future__ import annotations

from collections.abc import Callable

from ..autodiff import kinked as kinked_nodes
from ..autodiff import tangent
from ..graph import CONST, Graph
from ..ops import OPS, Number, show
from .state import SUBNORMAL_SCALE, Check, OutOfTime, State, agree, engine_number, one_sided, within

SYMBOLIC_TREE_CAP = 2000  # expanded expression size beyond which whole-expression sympy is not tried
SYMBOLIC_NODE_CAP = 200  # nodes beyond which per-node symbolic totals are not tried
SYMBOLIC_DEPTH_CAP = 80  # sympy recurses over expression depth
DUAL_SAMPLE = 8  # inputs checked by forward-mode dual numbers when the graph is beyond the symbolic cap


def node_checks(st: State) -> tuple[dict[int, Check], dict[int, str]]:
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
        f"input gradients by forward-mode dual numbers through the whole graph with sympy's local partials (dual)"
    )
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
    d = st.sp.diff(expr, sym)
    ours = st.back.grads[i]
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
    theirs = engine_number(d.xreplace({sym: st.total_number(st.values[i])}))
    if theirs is None:
        return Check("skip", note="sympy's derivative is undefined at this point")
    return Check("pass" if agree(ours, theirs, st.tol, st.sizes[i]) else "fail", show(theirs))


def _symbolic_inputs(st: State, kinked: list[bool], formulas: dict[int, str]) -> dict[int, Check]:
    sp = st.sp
    syms = {i: sp.Symbol(st.graph.nodes[i].name, real=True) for i in st.graph.inputs}
    checks = {}
    try:
        expr = st.sympy_call(_expression, st, syms)
        for i, sym in syms.items():
            formulas[i] = st.sympy_call(_formula, sp.diff, expr, sym)

            def total(i=i, sym=sym):
                others = {s: st.total_number(st.values[k]) for k, s in syms.items() if s is not sym}
                return _total(st, i, expr.xreplace(others), sym, kinked[i])

            checks[i] = _judged(st, total)
    except OutOfTime:
        st.out_of_time()
    return checks


def _symbolic_totals(st: State, kinked: list[bool], skip: set[int]) -> dict[int, Check]:
    sym = st.sp.Symbol("node", real=True)
    checks = {}
    try:
        for i, node in enumerate(st.graph.nodes):
            if i not in skip and node.op != CONST:
                checks[i] = _judged(st, lambda i=i: _total(st, i, _expression(st, {i: sym}), sym, kinked[i]))
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


def _chain_totals(st: State, skip: set[int]) -> dict[int, Check]:
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
            checks[i] = Check("pass" if agree(grads[i], total, st.tol, st.sizes[i]) else "fail", show(total), "chain")
    return checks


def _dual_checks(st: State, kinked: list[bool]) -> dict[int, Check]:
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
        close = abs(ours - theirs) <= st.tol * max(abs(theirs), magnitude, SUBNORMAL_SCALE)
        checks[i] = Check("pass" if close else "fail", show(theirs), "dual")
    return checks


def _formula(diff, expr, sym) -> str:
    """Whole: each renderer decides where a long formula goes (below a table, whole in notes)."""
    return str(diff(expr, sym))
