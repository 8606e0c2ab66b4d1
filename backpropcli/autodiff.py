"""Forward and backward: one loop over the graph in creation order, and the same loop reversed.

Local gradients come only from the op table's hand-written rules; gradients are returned and
accumulated with +=, never stored on nodes. Both loops are the engine's hot path (10^5 nodes
and more): they read nodes by position, branch on arity, and leave checks to a pass at the end.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import EvalError, InputError
from .graph import CONST, INPUT, Graph
from .ops import OPS, Number, brief, exact, failure


@dataclass(frozen=True)
class Backward:
    grads: tuple[Number, ...]  # d output / d node for every node (0 where it does not reach the output)
    partials: tuple[tuple[Number, ...] | None, ...]  # local gradients per gate that reaches the output
    kinks: tuple[tuple[int, int], ...]  # (gate, argument position) edges at a non-differentiable point


def forward(graph: Graph, point: Mapping[str, Number]) -> list[Number]:
    """Values of every node. `point` overrides the inputs' own values."""
    nodes = graph.nodes
    values: list = [None] * len(nodes)
    fwd = {name: op.forward for name, op in OPS.items()}  # read per call: a test may swap a row
    i = 0
    try:
        for i, (op, args, name, value, _, _) in enumerate(nodes):
            if len(args) == 2:
                values[i] = fwd[op](values[args[0]], values[args[1]])
            elif len(args) == 1:
                values[i] = fwd[op](values[args[0]])
            elif args:
                values[i] = fwd[op](*[values[a] for a in args])
            elif op == INPUT:
                values[i] = value = point.get(name, value)
                if value is None:
                    raise _missing(graph, point)
            else:
                values[i] = value
    except (ArithmeticError, ValueError) as exc:
        raise _failed(graph, i, values, exc) from None
    if not _all_finite(values):
        i = next(i for i, v in enumerate(values) if type(v) is float and not math.isfinite(v))
        raise _failed(graph, i, values, OverflowError())
    return values


def backward(graph: Graph, values: list[Number]) -> Backward:
    """d output / d node for every node, by one reversed loop from the output.

    A gradient of None marks a node the output does not reach (yet); such nodes get no local
    gradients. Gradients also flow into constants, whose totals are reset to 0 when the loop
    reaches them: cheaper than asking at every edge whether its argument is a constant.
    """
    nodes = graph.nodes
    out = graph.output
    grads: list = [None] * (out + 1) + [0] * (len(nodes) - out - 1)
    grads[out] = 1
    partials: list = [None] * len(nodes)
    kinks: list[tuple[int, int]] = []
    try:
        _sweep(nodes, out, values, grads, partials, kinks)
    except _Failed as failed:
        raise _no_slope(graph, failed.args[0], values, too_large=failed.args[1]) from None
    if not _all_finite(grads):
        _check_finite(graph, values, grads, partials)
    return Backward(tuple(grads), tuple(partials), tuple(kinks))


class _Failed(Exception):
    """A local rule raised at this gate: there is no finite derivative there."""


def _sweep(nodes: tuple, out: int, values: list, grads: list, partials: list, kinks: list) -> None:
    """The reversed loop itself, with the two common arities written out: it is the hot path."""
    rules = {name: op.partials for name, op in OPS.items()}
    kink_rules = {name: op.kink for name, op in OPS.items() if op.kink is not None}
    i = out
    try:
        for i in range(out, -1, -1):
            g = grads[i]
            if g is None:
                grads[i] = 0
                continue
            node = nodes[i]
            op = node[0]
            args = node[1]
            if len(args) == 2:
                a, b = args
                locs = partials[i] = rules[op]((values[a], values[b]), values[i])
                d = grads[a]
                d = g * locs[0] if d is None else d + g * locs[0]
                grads[a] = d if type(d) is float else exact(d)
                d = grads[b]
                d = g * locs[1] if d is None else d + g * locs[1]
                grads[b] = d if type(d) is float else exact(d)
            elif len(args) == 1:
                a = args[0]
                locs = partials[i] = rules[op]((values[a],), values[i])
                d = grads[a]
                d = g * locs[0] if d is None else d + g * locs[0]
                grads[a] = d if type(d) is float else exact(d)
            elif args:
                locs = partials[i] = rules[op](tuple([values[a] for a in args]), values[i])
                for a, local in zip(args, locs, strict=True):
                    d = grads[a]
                    d = g * local if d is None else d + g * local
                    grads[a] = d if type(d) is float else exact(d)
            elif op == CONST:
                grads[i] = 0
            if op in kink_rules:
                flags = kink_rules[op](tuple([values[a] for a in args]), values[i])
                kinks.extend((i, pos) for pos, flag in enumerate(flags) if flag)
    except OverflowError:
        raise _Failed(i, True) from None  # a slope too large for a float
    except (ArithmeticError, ValueError):
        raise _Failed(i, False) from None  # no slope at all (log 0, sqrt at 0, a division by 0)


def ledger(graph: Graph, back: Backward) -> list[tuple[int, int]]:
    """The edges the backward pass used, in the order it visited them: gates from the output back."""
    nodes, partials = graph.nodes, back.partials
    rows = []
    for gate in range(len(nodes) - 1, -1, -1):
        if partials[gate] is None:
            continue
        for pos, arg in enumerate(nodes[gate][1]):
            if nodes[arg][0] != CONST:
                rows.append((gate, pos))
    return rows


def kinked(graph: Graph, back: Backward) -> list[bool]:
    """Whether each node's gradient flows through a kink on its way from the output."""
    flags = [False] * len(graph.nodes)
    if not back.kinks:
        return flags
    at_kink = set(back.kinks)
    for gate in range(len(graph.nodes) - 1, -1, -1):
        if back.partials[gate] is None:
            continue
        for pos, arg in enumerate(graph.nodes[gate].args):
            if flags[gate] or (gate, pos) in at_kink:
                flags[arg] = True
    return flags


def accumulate(graph: Graph, partials: list) -> list[Number]:
    """d output / d node for every node from the given local partials (None: a gate that does not
    reach the output): the backward pass's sums without its rules, exact where the partials are."""
    nodes = graph.nodes
    grads: list[Number] = [0] * len(nodes)
    grads[graph.output] = 1
    for gate in range(graph.output, -1, -1):
        locs, g = partials[gate], grads[gate]
        if locs is None or not g:
            continue
        for a, local in zip(nodes[gate][1], locs, strict=True):
            grads[a] = exact(grads[a] + g * local)
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
    scale: list[float] = [0.0] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        size = _magnitude(values[i])
        if node.args:
            try:
                locs = OPS[node.op].partials(tuple(values[a] for a in node.args), values[i])
            except (ArithmeticError, ValueError):  # no slope here: judge the value alone
                return 0.0
            size += sum(_magnitude(local) * scale[a] for a, local in zip(node.args, locs, strict=True))
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
    nodes, out = graph.nodes, graph.output
    dot: list = [None] * (out + 1)  # None: the node does not depend on the seed
    scale = [0.0] * (out + 1)
    if seed > out:
        return 0.0, 0.0
    dot[seed] = scale[seed] = 1.0
    for i in range(seed + 1, out + 1):
        locs = partials[i]
        if locs is None:  # a leaf, or a gate that does not reach the output
            continue
        total, size = None, 0.0
        for a, local in zip(nodes[i][1], locs, strict=True):
            d = dot[a]
            if d is None:
                continue
            if local is None:
                return None, 0.0
            local = float(local)
            total = local * d if total is None else total + local * d
            size += abs(local) * scale[a]
        dot[i], scale[i] = total, size
    return (0.0 if dot[out] is None else dot[out]), scale[out]


def _all_finite(numbers: list[Number]) -> bool:
    """No inf or nan among the floats; exact numbers too large for a float are finite too."""
    try:
        return all(map(math.isfinite, numbers))
    except OverflowError:
        return all(type(v) is not float or math.isfinite(v) for v in numbers)


def _check_finite(graph: Graph, values: list[Number], grads: list, partials: list) -> None:
    """Name the edge or node where a gradient stopped being a finite number."""
    for i in range(len(graph.nodes) - 1, -1, -1):
        locs = partials[i]
        if locs is None:
            continue
        for a, local in zip(graph.nodes[i].args, locs, strict=True):
            bad = type(local) is float and not math.isfinite(local)
            if bad and graph.nodes[a].op != CONST:
                raise _no_slope(graph, i, values, too_large=local == local)  # inf, not nan
        if type(grads[i]) is float and not math.isfinite(grads[i]):
            node = graph.nodes[i]
            raise EvalError(
                f"the gradient at {graph.text(i)} overflows a float", graph.source.locate(node.start, node.end)
            )
    raise EvalError("a gradient overflows a float")


def _missing(graph: Graph, point: Mapping[str, Number]) -> InputError:
    names = [n.name for n in graph.nodes if n.op == INPUT and n.value is None and n.name not in point]
    return InputError("no value for " + ", ".join(names) + " (bind with name=value)")


def _failed(graph: Graph, i: int, values: list[Number], exc: Exception) -> EvalError:
    node = graph.nodes[i]
    args = tuple(values[a] for a in node.args)
    return EvalError(failure(OPS[node.op], args, exc), graph.source.locate(node.start, node.end))


def _no_slope(graph: Graph, i: int, values: list[Number], too_large: bool = False) -> EvalError:
    node = graph.nodes[i]
    args = ", ".join(brief(values[a]) for a in node.args)
    why = (
        "a local derivative is too large for a float"
        if too_large
        else "has no finite derivative here, so the gradient does not exist"
    )
    return EvalError(
        f"{node.op}({args}): {why}" if too_large else f"{node.op}({args}) {why}",
        graph.source.locate(node.start, node.end),
    )
