"""Forward and backward: one loop over the graph in creation order, and the same loop reversed.

Local gradients come only from the op table's hand-written rules; gradients are returned and
accumulated with +=, never stored on nodes. Both loops are the engine's hot path (10^5 nodes
and more): they read nodes by position, branch on arity, and leave checks to a pass at the end.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import getitem

from .errors import EvalError, InputError
from .graph import CONST, MORE_ARGS, NO_ARG, Columns, Graph
from .ops import EXACT_BOUND, OPS, Constant, Jump, Number, brief, exact, failure


@dataclass(frozen=True)
class Backward:
    grads: tuple[Number, ...]  # d output / d node for every node (0 where it does not reach the output)
    partials: tuple[tuple[Number, ...] | None, ...]  # local gradients per gate that reaches the output
    kinks: tuple[tuple[int, int], ...]  # (gate, argument position) edges at a non-differentiable point

    def local(self, gate: int, pos: int) -> Number:
        """The local gradient of one edge of a gate that reaches the output (the only edges checked)."""
        partials = self.partials[gate]
        if partials is None:
            raise ValueError(f"gate {gate} does not reach the output: it has no local gradients")  # pragma: no mutate
        return partials[pos]

    def edge_locals(self, edges: Edges) -> Iterator[Number]:
        """local() of every edge in turn, read in C: edges of the ledger, whose gates reach the output."""
        partials: Sequence[Sequence[Number]] = self.partials  # type: ignore[assignment]  # (so none is None)
        return map(getitem, map(partials.__getitem__, edges.gates), edges.positions)


def forward(graph: Graph, point: Mapping[str, Number]) -> list[Number]:
    """Values of every node. `point` overrides the inputs' own values."""
    c = graph.columns
    values: list = list(c.given)  # the leaves' own values; the gates' are filled in below
    names = c.names
    for i in graph.inputs:
        name = names[i]
        if point and name is not None and name in point:
            values[i] = point[name]
        elif values[i] is None:
            raise _missing(graph, point)
    # read per call (a test may swap a row); a kernel's results are checked here, as its forward does
    fwd = {name: op.forward if op.kernel is None else op.kernel for name, op in OPS.items()}
    more = c.more
    i = 0
    try:
        for i, op, a, b in zip(range(len(values)), c.ops, c.arg0, c.arg1, strict=True):
            if b >= 0:
                v = fwd[op](values[a], values[b])
            elif a >= 0:
                v = fwd[op](values[a]) if b == NO_ARG else fwd[op](*[values[x] for x in more[i]])
            else:
                continue
            values[i] = v if type(v) is float else exact(v)  # an inf or nan is found below, at its gate
    except (ArithmeticError, ValueError) as exc:
        bad = _first_overflow(values, i)  # the inf this gate could not take came from there
        raise _failed(graph, i, values, exc) if bad is None else _failed(graph, bad, values, OverflowError()) from None
    if not _all_finite(values):
        raise _failed(graph, _first_overflow(values, len(values)), values, OverflowError())
    return values


def backward(graph: Graph, values: list[Number]) -> Backward:
    """d output / d node for every node, by one reversed loop from the last node.

    A gradient of None marks a node the output does not reach (yet); such nodes get no local
    gradients. Gradients also flow into constants, whose totals are reset to 0 when the loop
    reaches them: cheaper than asking at every edge whether its argument is a constant.
    """
    grads: list = [None] * len(values)
    grads[graph.output] = 1
    partials: list = [None] * len(values)
    try:
        _sweep(graph.columns, values, grads, partials)
    except _Failed as failed:
        raise _no_slope(graph, failed.args[0], values, *failed.args[1:]) from None
    if not _all_finite(grads):
        _check_finite(graph, values, grads, partials)
    return Backward(tuple(grads), tuple(partials), _kinks(graph.columns, values, partials))


class _Failed(Exception):
    """A local rule raised at this gate: there is no finite derivative there."""


def _reversed(c: Columns, top: int | None = None) -> Iterator[tuple[int, str, int, int]]:
    """(id, op, arg0, arg1) from node `top` (the last by default) down to node 0."""
    if top is None or top == len(c.ops) - 1:
        return zip(range(len(c.ops) - 1, -1, -1), reversed(c.ops), reversed(c.arg0), reversed(c.arg1), strict=True)
    return zip(
        range(top, -1, -1),
        reversed(c.ops[: top + 1]),
        reversed(c.arg0[: top + 1]),
        reversed(c.arg1[: top + 1]),
        strict=True,
    )


def _sweep(c: Columns, values: list, grads: list, partials: list) -> None:
    """The reversed loop itself, with the two common arities written out: it is the hot path."""
    # a constant rule is its slopes, taken without a call (a sum of 10^6 terms makes no tuple per gate)
    rules: dict[str, Callable[[tuple, Number], tuple] | tuple] = {
        name: op.partials.slopes if type(op.partials) is Constant else op.partials for name, op in OPS.items()
    }
    more = c.more
    bound = EXACT_BOUND  # an int sum within it stays exact: the bound checked in line, not by exact()
    i = len(values) - 1
    try:
        for i, op, a, b in _reversed(c):
            g = grads[i]
            if g is None:
                grads[i] = 0
                continue
            if b >= 0:
                rule = rules[op]
                locs = partials[i] = rule if isinstance(rule, tuple) else rule((values[a], values[b]), values[i])
                d = grads[a]
                d = g * locs[0] if d is None else d + g * locs[0]
                grads[a] = d if type(d) is float or (type(d) is int and -bound < d < bound) else exact(d)
                d = grads[b]
                d = g * locs[1] if d is None else d + g * locs[1]
                grads[b] = d if type(d) is float or (type(d) is int and -bound < d < bound) else exact(d)
            elif b == NO_ARG and a >= 0:
                rule = rules[op]
                locs = partials[i] = rule if isinstance(rule, tuple) else rule((values[a],), values[i])
                d = grads[a]
                d = g * locs[0] if d is None else d + g * locs[0]
                grads[a] = d if type(d) is float or (type(d) is int and -bound < d < bound) else exact(d)
            elif b == MORE_ARGS:
                args = more[i]
                rule = rules[op]
                locs = partials[i] = (
                    rule if isinstance(rule, tuple) else rule(tuple([values[x] for x in args]), values[i])
                )
                for x, local in zip(args, locs, strict=True):
                    d = grads[x]
                    d = g * local if d is None else d + g * local
                    grads[x] = d if type(d) is float or (type(d) is int and -bound < d < bound) else exact(d)
            elif op == CONST:
                grads[i] = 0
    except OverflowError:
        raise _Failed(i, True) from None  # a slope too large for a float
    except Jump as jump:
        raise _Failed(i, False, str(jump)) from None  # the op jumps here: its rule says where
    except (ArithmeticError, ValueError):
        raise _Failed(i, False) from None  # no slope at all (log 0, sqrt at 0, a division by 0)


def _kinks(c: Columns, values: list, partials: list) -> tuple[tuple[int, int], ...]:
    """The edges at a kink, gates from the output back: only the gates of an op with a kink rule that
    reach the output are asked, found in C (a graph of add, mul and tanh asks none)."""
    kink_rules = {name: op.kink for name, op in OPS.items() if op.kink is not None}
    ops = c.ops
    if frozenset(kink_rules).isdisjoint(ops):
        return ()
    kinks: list[tuple[int, int]] = []
    for i in reversed(list(compress(range(len(ops)), map(kink_rules.__contains__, ops)))):
        if partials[i] is not None:
            flags = kink_rules[ops[i]](tuple([values[x] for x in c.args(i)]), values[i])
            kinks.extend((i, pos) for pos, flag in enumerate(flags) if flag)
    return tuple(kinks)


class Edges(Sequence[tuple[int, int]]):
    """Edges as (gate, argument position) pairs, kept as two int arrays: 8 bytes an edge where a
    list of tuples takes about 80, read as a tuple at a time."""

    __slots__ = ("gates", "positions")

    def __init__(self) -> None:
        self.gates = array("i")
        self.positions = array("i")

    def __len__(self) -> int:
        return len(self.gates)

    def __getitem__(self, k):  # an int gives one edge, a slice a list of them
        if isinstance(k, slice):
            return list(zip(self.gates[k], self.positions[k], strict=True))
        return self.gates[k], self.positions[k]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.gates, self.positions, strict=True)

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a sequence compared by its contents


def ledger(graph: Graph, back: Backward) -> Edges:
    """The edges the backward pass used, in the order it visited them: gates from the output back."""
    c, partials = graph.columns, back.partials
    ops = c.ops
    rows = Edges()
    gates, positions = rows.gates.append, rows.positions.append
    for gate, _, a, b in _reversed(c):
        if partials[gate] is None:
            continue
        if b >= 0:
            if ops[a] != CONST:
                gates(gate)
                positions(0)
            if ops[b] != CONST:
                gates(gate)
                positions(1)
        elif b == NO_ARG:
            if ops[a] != CONST:
                gates(gate)
                positions(0)
        else:
            for pos, arg in enumerate(c.more[gate]):
                if ops[arg] != CONST:
                    gates(gate)
                    positions(pos)
    return rows


def kinked(graph: Graph, back: Backward) -> bytearray:
    """Whether each node's gradient flows through a kink on its way from the output (1), a byte each."""
    flags = bytearray(len(graph.columns))
    if not back.kinks:
        return flags
    at_kink = set(back.kinks)
    args = graph.columns.args
    for gate in range(len(flags) - 1, -1, -1):
        if back.partials[gate] is None:
            continue
        for pos, arg in enumerate(args(gate)):
            if flags[gate] or (gate, pos) in at_kink:
                flags[arg] = 1
    return flags


def accumulate(graph: Graph, partials: list) -> list[Number]:
    """d output / d node for every node from the given local partials (None: a gate that does not
    reach the output): the backward pass's sums without its rules, exact where the partials are."""
    c = graph.columns
    grads: list[Number] = [0] * len(c.ops)
    grads[graph.output] = 1
    for gate, _, a, b in _reversed(c, graph.output):
        locs, g = partials[gate], grads[gate]
        if locs is None or not g:
            continue
        if b >= 0:
            grads[a] = exact(grads[a] + g * locs[0])
            grads[b] = exact(grads[b] + g * locs[1])
        else:
            for x, local in zip(c.args(gate), locs, strict=True):
                grads[x] = exact(grads[x] + g * local)
    return grads


def magnitudes(graph: Graph, back: Backward) -> list[float]:
    """For each node, the sum over its paths to the output of |product of the local partials|: the
    scale of the terms its gradient adds up, which bounds the gradient's rounding error when those
    terms cancel (0.1 + 0.2 - 0.3 is 5.6e-17 in floats). 0 where nothing reaches."""
    sizes = [None if locs is None else tuple(map(_magnitude, locs)) for locs in back.partials]
    return [float(size) for size in accumulate(graph, sizes)]


def rounding_scale(graph: Graph, values: list[Number]) -> float:
    """The scale of a formula's rounding error at these values, to first order: each node's |value| plus
    |partial| times its arguments' scales (1 - a**2 at a = 0.99999999 is about 2e-8, give or take 1e-16
    of the 2 it was made from). Exact values have none: 0 where the output is exact."""
    if type(values[graph.output]) is not float:
        return 0.0
    c = graph.columns
    scale: list[float] = [0.0] * len(c.ops)
    for i, (op, args) in enumerate(zip(c.ops, c.all_args(), strict=True)):
        size = _magnitude(values[i])
        if args:
            try:
                locs = OPS[op].partials(tuple(values[a] for a in args), values[i])
            except (ArithmeticError, ValueError):  # no slope here: judge the value alone
                return 0.0
            size += sum(_magnitude(local) * scale[a] for a, local in zip(args, locs, strict=True))
        scale[i] = size
    return scale[graph.output]


def _magnitude(v: Number) -> float:
    try:
        return abs(float(v))
    except OverflowError:
        return math.inf


def tangent(graph: Graph, partials: list, seed: int) -> tuple[float | None, float]:
    """d output / d seed by forward mode, as with dual numbers: one pass in creation order carrying
    d node / d seed, with the given local partials per gate (sympy's, in the cross-check) in place of
    the op table's rules. Also returns the sum of |path products|, which bounds its rounding error.

    The value is None when a gate on the way lacks the partial it needs.
    """
    c, out = graph.columns, graph.output
    dot: list = [None] * (out + 1)  # None: the node does not depend on the seed
    scale = [0.0] * (out + 1)
    if seed > out:
        return 0.0, 0.0
    dot[seed] = scale[seed] = 1.0
    arg0, arg1 = c.arg0, c.arg1
    for i in range(seed + 1, out + 1):
        locs = partials[i]
        if locs is None:  # a leaf, or a gate that does not reach the output
            continue
        a, b = arg0[i], arg1[i]
        if b >= 0:  # the common arities written out, as in the backward pass
            d, other = dot[a], dot[b]
            if d is not None and other is not None:  # both arguments on the seed's paths
                first, second = locs[0], locs[1]
                if first is None or second is None:
                    return None, 0.0
                first, second = float(first), float(second)
                dot[i], scale[i] = first * d + second * other, abs(first) * scale[a] + abs(second) * scale[b]
                continue
            if d is None:
                if other is None:
                    continue
                d, local, a = other, locs[1], b  # only the second argument is
            else:
                local = locs[0]
        elif b == NO_ARG:
            d = dot[a] if a >= 0 else None
            if d is None:
                continue
            local = locs[0]
        else:
            total, size = None, 0.0
            for a, local in zip(c.more[i], locs, strict=True):
                d = dot[a]
                if d is None:
                    continue
                if local is None:
                    return None, 0.0
                local = float(local)
                total = local * d if total is None else total + local * d
                size += abs(local) * scale[a]
            dot[i], scale[i] = total, size
            continue
        if local is None:  # one argument on the seed's paths, through this partial
            return None, 0.0
        local = float(local)
        dot[i], scale[i] = local * d, abs(local) * scale[a]
    return (0.0 if dot[out] is None else dot[out]), scale[out]


def _all_finite(numbers: list[Number]) -> bool:
    """No inf or nan among the floats; exact numbers too large for a float are finite too."""
    try:
        return all(map(math.isfinite, numbers))
    except OverflowError:
        return all(type(v) is not float or math.isfinite(v) for v in numbers)


def _first_overflow(values: list[Number], stop: int):
    """The first node before `stop` whose value is an inf or a nan: the gate whose result overflowed."""
    return next((k for k in range(stop) if type(values[k]) is float and not math.isfinite(values[k])), None)


def _check_finite(graph: Graph, values: list[Number], grads: list, partials: list) -> None:
    """Name the edge or node where a gradient stopped being a finite number."""
    c = graph.columns
    for i in range(len(c.ops) - 1, -1, -1):
        locs = partials[i]
        for a, local in zip(c.args(i), locs, strict=True) if locs is not None else ():
            bad = type(local) is float and not math.isfinite(local)
            if bad and c.ops[a] != CONST:
                raise _no_slope(graph, i, values, too_large=local == local)  # inf, not nan
        if type(grads[i]) is float and not math.isfinite(grads[i]):
            raise EvalError(
                f"the gradient at {graph.text(i)} overflows a float", graph.source.locate(c.starts[i], c.ends[i])
            )
    raise EvalError("a gradient overflows a float")


# an exact gradient past MAX_EXACT_BITS becomes a float, and one past the float range has none
_SUM_TOO_LARGE = "the gradient it passes to its argument is too large for a float"


def _slope_overflows(graph: Graph, i: int, values: list[Number]) -> bool:
    """Whether the gate's own rule overflows here (raises, or gives an infinite slope). Where it does
    not, the overflow the backward pass met at the gate was in the sum it adds its gradient to (an
    exact gradient past the float range)."""
    node = graph.nodes[i]
    try:
        locs = OPS[node.op].partials(tuple(values[a] for a in node.args), values[i])
    except OverflowError:
        return True
    return not all(type(local) is not float or math.isfinite(local) for local in locs)


def _missing(graph: Graph, point: Mapping[str, Number]) -> InputError:
    c = graph.columns
    names: list[str] = []
    for i in graph.inputs:
        name = c.names[i]
        if name is None:
            raise ValueError(f"input node {i} has no name")  # pragma: no mutate
        if c.given[i] is None and name not in point:
            names.append(name)
    return InputError("no value for " + ", ".join(names) + " (bind with name=value)")


def _failed(graph: Graph, i: int, values: list[Number], exc: Exception) -> EvalError:
    node = graph.nodes[i]
    args = tuple(values[a] for a in node.args)
    return EvalError(failure(OPS[node.op], args, exc), graph.source.locate(node.start, node.end))


def _no_slope(graph: Graph, i: int, values: list[Number], too_large: bool = False, jump: str = "") -> EvalError:
    node = graph.nodes[i]
    args = ", ".join(brief(values[a]) for a in node.args)
    why = (
        ("a local derivative is too large for a float" if _slope_overflows(graph, i, values) else _SUM_TOO_LARGE)
        if too_large
        else f"has no derivative here: {jump}, so the gradient does not exist"
        if jump
        else "has no finite derivative here, so the gradient does not exist"
    )
    return EvalError(
        f"{node.op}({args}): {why}" if too_large else f"{node.op}({args}) {why}",
        graph.source.locate(node.start, node.end),
    )
