"""Forward and backward: one loop over the graph in creation order, and the same loop reversed.

Local gradients come only from the op table's hand-written rules; gradients are returned and
accumulated with +=, never stored on nodes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import EvalError, InputError
from .graph import CONST, INPUT, Graph
from .ops import OPS, Number, exact, failure

_FORWARD = {name: op.forward for name, op in OPS.items()}
_PARTIALS = {name: op.partials for name, op in OPS.items()}


@dataclass(frozen=True)
class Backward:
    grads: tuple[Number, ...]  # d output / d node for every node (0 where it does not reach the output)
    partials: tuple[tuple[Number, ...] | None, ...]  # local gradients per gate that reaches the output
    kinks: tuple[tuple[int, int], ...]  # (gate, argument position) edges at a non-differentiable point


def forward(graph: Graph, point: Mapping[str, Number]) -> list[Number]:
    """Values of every node. `point` overrides the inputs' own values."""
    nodes = graph.nodes
    missing = [n.name for n in nodes if n.op == INPUT and n.value is None and n.name not in point]
    if missing:
        raise InputError("no value for " + ", ".join(missing) + " (bind with name=value)")
    values: list = [None] * len(nodes)
    fwd = _FORWARD
    i = 0
    try:
        for i, node in enumerate(nodes):
            args = node.args
            if not args:
                values[i] = point.get(node.name, node.value) if node.op == INPUT else node.value
            elif len(args) == 2:
                values[i] = fwd[node.op](values[args[0]], values[args[1]])
            elif len(args) == 1:
                values[i] = fwd[node.op](values[args[0]])
            else:
                values[i] = fwd[node.op](*[values[a] for a in args])
    except (ArithmeticError, ValueError) as exc:
        raise _failed(graph, i, values, exc) from None
    for i, v in enumerate(values):
        if type(v) is float and not math.isfinite(v):
            raise _failed(graph, i, values, OverflowError())
    return values


def backward(graph: Graph, values: list[Number]) -> Backward:
    """d output / d node for every node, by one reversed loop from the output."""
    nodes = graph.nodes
    out = graph.output
    grads: list = [0] * len(nodes)
    grads[out] = 1
    partials: list = [None] * len(nodes)
    live = [False] * len(nodes)
    live[out] = True
    rules = _PARTIALS
    i = out
    try:
        for i in range(out, -1, -1):
            node = nodes[i]
            args = node.args
            if not args or not live[i]:
                continue
            locs = rules[node.op](tuple([values[a] for a in args]), values[i])
            partials[i] = locs
            g = grads[i]
            for a, local in zip(args, locs, strict=True):
                if nodes[a].op != CONST:
                    d = grads[a] + g * local
                    grads[a] = d if type(d) is float else exact(d)
                    live[a] = True
    except (ArithmeticError, ValueError) as exc:
        raise _no_slope(graph, i, values, exc) from None
    _check_finite(graph, values, grads, partials)
    return Backward(tuple(grads), tuple(partials), _kinks(graph, values, partials))


def ledger(graph: Graph, back: Backward) -> list[tuple[int, int]]:
    """The edges the backward pass used, in the order it visited them: gates from the output back."""
    rows = []
    for gate in range(len(graph.nodes) - 1, -1, -1):
        if back.partials[gate] is None:
            continue
        for pos, arg in enumerate(graph.nodes[gate].args):
            if graph.nodes[arg].op != CONST:
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


def _kinks(graph: Graph, values: list[Number], partials: list) -> tuple[tuple[int, int], ...]:
    found = []
    for i in range(len(graph.nodes) - 1, -1, -1):
        node = graph.nodes[i]
        rule = OPS[node.op].kink if partials[i] is not None else None
        if rule is not None:
            flags = rule(tuple(values[a] for a in node.args), values[i])
            found.extend((i, pos) for pos, flag in enumerate(flags) if flag)
    return tuple(found)


def _check_finite(graph: Graph, values: list[Number], grads: list, partials: list) -> None:
    if all(type(g) is not float or math.isfinite(g) for g in grads):
        return
    for i in range(len(graph.nodes) - 1, -1, -1):
        locs = partials[i]
        if locs is None:
            continue
        for a, local in zip(graph.nodes[i].args, locs, strict=True):
            bad = type(local) is float and not math.isfinite(local)
            if bad and graph.nodes[a].op != CONST:
                raise _no_slope(graph, i, values, ValueError())
        if type(grads[i]) is float and not math.isfinite(grads[i]):
            node = graph.nodes[i]
            raise EvalError(f"the gradient at {graph.text(i)} overflows a float",
                            graph.source.locate(node.start, node.end))
    raise EvalError("a gradient overflows a float")


def _failed(graph: Graph, i: int, values: list[Number], exc: Exception) -> EvalError:
    node = graph.nodes[i]
    args = tuple(values[a] for a in node.args)
    return EvalError(failure(OPS[node.op], args, exc), graph.source.locate(node.start, node.end))


def _no_slope(graph: Graph, i: int, values: list[Number], exc: Exception) -> EvalError:
    node = graph.nodes[i]
    args = ", ".join(str(values[a]) for a in node.args)
    return EvalError(f"{node.op}({args}) has no finite derivative here, so the gradient does not exist",
                     graph.source.locate(node.start, node.end))
