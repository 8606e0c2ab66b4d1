"""Claims stage: partial existence. A missing slope leaves undefined only the gradients that need it.

`x = -2.0; n = 3; f = x**n` has df/dx = 12, but no df/dn (log of a negative base). The backward pass
refuses the whole program; here every gate that reaches the output takes its local partials where
they exist, a missing one is nan (a constant's is never needed), and the sums run as usual: a
gradient that needs a missing slope comes out nan, every other one as the backward pass gives it.
"""

from __future__ import annotations

import math

from ..autodiff import Backward, accumulate, backward
from ..errors import EvalError
from ..graph import CONST, Graph
from ..ops import OPS, Number


def backward_or_partial(graph: Graph, values: list[Number]) -> tuple[Backward, str]:
    """The backward pass; where it fails for want of a slope, the gradients that exist, and why the
    others do not. Any other failure (an overflow) is raised as before."""
    try:
        return backward(graph, values), ""
    except EvalError as failure:
        try:
            back = _partial(graph, values)
        except _TooLarge:
            raise failure from None
        if any(type(g) is float and math.isinf(g) for g in back.grads):
            raise failure from None
        # a slope that only a zero upstream meets (the branch max does not take) is needed by nothing
        return back, failure.message if undefined(back) else ""


class _TooLarge(Exception):
    """A slope exists but is too large for a float: the backward pass's error stands, as it is not
    a gradient that does not exist."""


def undefined(back: Backward) -> list[int]:
    """The nodes whose gradient needs a slope that does not exist."""
    return [i for i, g in enumerate(back.grads) if type(g) is float and math.isnan(g)]


def missing_slopes(graph: Graph, back: Backward, reason: str) -> tuple[str, ...]:
    """The warning every format shows: the named gradients that do not exist (the others do), and why."""
    names = [graph.nodes[i].name for i in undefined(back) if graph.nodes[i].name is not None] if reason else []
    if not names:
        return ()
    out = graph.nodes[graph.output].name
    listed = ", ".join(f"d{out}/d{name}" for name in names)
    return (f"{listed} {'does' if len(names) == 1 else 'do'} not exist here: {reason}; every other gradient does",)


def _partial(graph: Graph, values: list[Number]) -> Backward:
    nodes, out = graph.nodes, graph.output
    reach = [False] * len(nodes)
    reach[out] = True
    for i in range(out, -1, -1):
        if reach[i]:
            for a in nodes[i].args:
                reach[a] = True
    partials: list = [None] * len(nodes)
    kinks: list[tuple[int, int]] = []
    for i in range(out + 1):
        node = nodes[i]
        if not node.args or not reach[i]:
            continue
        args = tuple(values[a] for a in node.args)
        op = OPS[node.op]
        try:
            locs = op.partials(args, values[i])
        except OverflowError:
            raise _TooLarge from None
        except (ArithmeticError, ValueError):
            locs = (math.nan,) * len(args)
        if any(type(local) is float and math.isinf(local) for local in locs):
            raise _TooLarge
        partials[i] = tuple(0 if nodes[a].op == CONST else local for a, local in zip(node.args, locs, strict=True))
        if op.kink is not None:
            kinks.extend((i, pos) for pos, flag in enumerate(op.kink(args, values[i])) if flag)
    try:
        grads = accumulate(graph, partials)
    except OverflowError:  # an exact gradient past the float range: the backward pass's error stands
        raise _TooLarge from None
    return Backward(tuple(grads), tuple(partials), tuple(kinks))
