"""Verdicts on another engine's numbers, node by node: its values, its local gradients, its grads.

A grad is judged against the gradients the engine itself gave the node's consumers, through the op
table's local rules: `correct` when it is their sum and every consumer is correct, `inherited` when
it is their sum but some consumer is off (the error came from nearer the root), and otherwise wrong
here, named as one of the classic bugs when its number fits one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ops import Number, magnitude
from .bugs import lonely_stale, wrong_here
from .local import CORRECT, SKIPPED, Local, at_values, stored_locals
from .nodes import Nodes, close

# Grad verdicts: the first passes; the others are wrong at this node, except inherited.
INHERITED = "inherited"
PASSING = (CORRECT, SKIPPED)


@dataclass(frozen=True)
class Verdicts:
    """Columns, one entry per node of `nodes`."""

    nodes: Nodes
    data: list[str]  # correct | wrong | undefined | input | skipped
    data_true: list[Number | None]  # the op applied to the engine's own argument values
    grad: list[str]
    true: list[Number | None]  # d root / d node by the op table's rules at the engine's values
    expected: list[Number | None]  # the sum of (consumer's grad as the engine has it) * (true local)
    why: list[str]
    source: list[int | None]  # inherited: the wrong node nearest the root it inherits from
    locals: dict[int, tuple[Local, ...]]  # gates whose stored local gradients are not plainly right, or not judged
    tol: float


def judge(nodes: Nodes, tol: float = 1e-9) -> Verdicts:
    n = len(nodes.ops)
    data, data_true, rules, intervals = at_values(nodes, tol)
    used = rules
    for i, given in nodes.stored.items():
        if nodes.ops[i] is None:
            used[i] = given  # an op of the engine's own: its local gradients are all there is
    v = Verdicts(
        nodes,
        data,
        data_true,
        [CORRECT] * n,
        [0] * n,
        [0] * n,
        [""] * n,
        [None] * n,
        stored_locals(nodes, rules, intervals, tol),
        tol,
    )
    _backward(v, used, intervals)
    lonely_stale(v, used)
    return v


def _backward(v: Verdicts, used: list, intervals: dict) -> None:
    """One reversed loop: each node is judged once its consumers have passed it their contributions,
    then passes its own on: the engine's grad times the true local (what the node's arguments should
    hold given this node), the true grad times the true local, and where an error came from."""
    nodes, tol = v.nodes, v.tol
    n = len(nodes.ops)
    argv, grads = nodes.args, nodes.grads
    expected, true, scale = v.expected, v.true, [0.0] * n
    expected[n - 1] = true[n - 1] = 1
    scale[n - 1] = 1.0
    off = [-1] * n  # the wrong node nearest the root among a node's consumers' errors
    spread: dict[int, list] = {}  # node -> [low, high] extra from kinked edges
    broken: set[int] = set()
    kinked = {gate for gate, _ in intervals}
    grad_verdict, source = v.grad, v.source
    for i in range(n - 1, -1, -1):
        g = grads[i]
        gv = 0 if g is None else g
        e, t = expected[i], true[i]
        if e is None or t is None:  # None is written only after this loop, for the nodes cut off
            raise AssertionError(f"node {i} has no expected or true grad while its consumers are judged")
        mine = -1
        if broken and i in broken:
            grad_verdict[i], v.why[i] = SKIPPED, "a local gradient on the way has no value here"
        else:
            if (gv == e or magnitude(gv - e) <= tol * max(magnitude(gv), magnitude(e), scale[i])) and (
                g is not None or e == 0
            ):
                if off[i] >= 0 and not (gv == t or close(gv, t, tol=tol)):
                    grad_verdict[i], source[i] = INHERITED, off[i]
                    mine = off[i]
            elif spread and i in spread and _within(gv, e, spread[i], scale[i], tol):
                if off[i] >= 0:
                    grad_verdict[i], source[i] = INHERITED, off[i]
                    mine = off[i]
            else:
                wrong_here(v, i, gv, e, t, used)
                mine = i
        args = argv[i]
        if not args:
            continue
        locs = used[i]
        if locs is None or (broken and i in broken):
            broken.update(args)
            continue
        if len(args) == 2:  # the common gate, written out: this loop is the judge's hot path
            a, b = args
            local = locs[0]
            c = gv * local
            expected[a] += c
            scale[a] += abs(c)
            true[a] += t * local
            local = locs[1]
            c = gv * local
            expected[b] += c
            scale[b] += abs(c)
            true[b] += t * local
            if mine >= 0:
                off[a] = max(off[a], mine)
                off[b] = max(off[b], mine)
        else:
            for a, local in zip(args, locs, strict=False):
                c = gv * local
                expected[a] += c
                scale[a] += abs(c)
                true[a] += t * local
                if mine > off[a]:
                    off[a] = mine
        if kinked and i in kinked:
            for pos, a in enumerate(args):
                box = intervals.get((i, pos))
                if box is not None:
                    lo, hi = sorted((gv * box[0] - gv * locs[pos], gv * box[1] - gv * locs[pos]))
                    extra = spread.setdefault(a, [0, 0])
                    extra[0] += lo
                    extra[1] += hi
    for i in broken:
        true[i] = None
        expected[i] = None


def _within(g: Number, e: Number, extra: list, scale: float, tol: float) -> bool:
    lo, hi = e + extra[0], e + extra[1]
    width = tol * max(magnitude(g), magnitude(lo), magnitude(hi), scale)
    return lo - width <= g <= hi + width
