"""Verdicts on another engine's numbers, node by node: its values, its local gradients, its grads.

A grad is judged against the gradients the engine itself gave the node's consumers, through the op
table's local rules: `correct` when it is their sum and every consumer is correct, `inherited` when
it is their sum but some consumer is off (the error came from nearer the root), and otherwise wrong
here, named as one of the classic bugs when its number fits one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..ops import Number
from ..render.cells import number as _num
from .build import Nodes, close

# Grad verdicts: the first passes; the others are wrong at this node, except inherited.
CORRECT = "correct"
INHERITED = "inherited"
WRONG = "wrong"
OVERWRITTEN = "overwritten"  # a node used several times holds one contribution, not their sum
STALE = "stale"  # the true gradient from this backward() plus leftovers of earlier calls
UNREACHED = "unreached"  # a contribution never arrived: no backward rule ran for that use
UNSEEDED = "unseeded"  # the root's grad was never set to 1
SKIPPED = "skipped"
GRAD_VERDICTS = (CORRECT, INHERITED, WRONG, OVERWRITTEN, STALE, UNREACHED, UNSEEDED, SKIPPED)
PASSING = (CORRECT, SKIPPED)
INPUT = "input"  # the data verdict of a leaf: its value is given, not computed
UNDEFINED = "undefined"  # the op has no value at the engine's arguments


@dataclass(frozen=True)
class Local:
    """One local gradient the engine stored (microgpt's `_local_grads`) against the op table's rule."""

    pos: int
    given: Number
    rule: Number | None  # None: the rule has no value here, or the op is the engine's own
    ok: bool | None  # None: not judged
    interval: tuple[Number, Number] | None = None  # at a kink: the subgradients that pass


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
    data, data_true, rules, intervals = _forward(nodes, tol)
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
        _given_locals(nodes, rules, intervals, tol),
        tol,
    )
    _backward(v, used, intervals)
    return v


def _forward(nodes: Nodes, tol: float) -> tuple[list[str], list, list, dict]:
    """Per gate, in creation order: the op applied to the engine's argument values against the engine's
    value, and the op table's local gradients there; at a kink, the interval of subgradients."""
    n = len(nodes.ops)
    verdicts = [CORRECT] * n
    values: list = [None] * n
    rules: list = [None] * n
    intervals: dict[tuple[int, int], tuple[Number, Number]] = {}
    data, argv, agreed, stored = nodes.data, nodes.args, nodes.agreed, nodes.stored
    for i, r in enumerate(nodes.ops):
        if i in agreed:  # its op was found from this very value and these very locals
            values[i], rules[i] = data[i], stored[i]
            continue
        if r is None:
            verdicts[i] = SKIPPED if argv[i] else INPUT
            continue
        op = r.op
        xs = tuple([data[a] for a in argv[i]])
        if r.constant is not None:
            xs = (*xs, r.constant)
        y = data[i]
        try:
            value = values[i] = op.forward(*xs)
        except (ArithmeticError, ValueError):
            verdicts[i] = UNDEFINED
            continue
        if value != y and not close(value, y, tol=tol):
            verdicts[i] = WRONG
        try:
            rules[i] = op.partials(xs, y)
        except (ArithmeticError, ValueError):  # no finite slope here: the nodes below are not judged
            continue
        if op.kink is not None:
            for pos, flag in enumerate(op.kink(xs, y)):
                if flag:
                    intervals[i, pos] = _one_sided(op, xs, pos, rules[i][pos])
    return verdicts, values, rules, intervals


def _one_sided(op, xs: tuple, pos: int, own: Number) -> tuple[Number, Number]:
    sides = [own]
    for direction in (-math.inf, math.inf):
        moved = list(xs)
        moved[pos] = math.nextafter(float(xs[pos]), direction)
        try:
            sides.append(op.partials(tuple(moved), op.forward(*moved))[pos])
        except (ArithmeticError, ValueError):
            continue
    return min(sides), max(sides)


def _given_locals(nodes: Nodes, rules: list, intervals: dict, tol: float) -> dict[int, tuple[Local, ...]]:
    """Each stored local gradient against the rule; at a kink, inside the interval, and the tied
    arguments' locals summing to the rule's sum: together they must be one subgradient."""
    found: dict[int, tuple[Local, ...]] = {}
    agreed = nodes.agreed
    for i, given in nodes.stored.items():
        if i in agreed:
            continue
        rule = rules[i]
        if rule is None or nodes.ops[i] is None:
            found[i] = tuple(Local(p, g, None, None) for p, g in enumerate(given))
            continue
        if (
            (i, 0) not in intervals
            and (len(given) < 2 or (i, 1) not in intervals)
            and all(g == q or abs(g - q) <= tol * max(abs(g), abs(q)) for g, q in zip(given, rule, strict=False))
        ):
            continue  # all right and no kink: nothing to report
        tied = [p for p in range(len(given)) if (i, p) in intervals]
        tie_ok = len(tied) < 2 or close(sum(given[p] for p in tied), sum(rule[p] for p in tied), tol=tol)
        checks = []
        for p, g in enumerate(given):
            box = intervals.get((i, p))
            if box is None:
                checks.append(Local(p, g, rule[p], g == rule[p] or close(g, rule[p], tol=tol)))
            else:
                checks.append(Local(p, g, rule[p], box[0] - tol <= g <= box[1] + tol and tie_ok, box))
        found[i] = tuple(checks)
    return found


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
        e = expected[i]
        mine = -1
        if i in broken:
            grad_verdict[i], v.why[i] = SKIPPED, "a local gradient on the way has no value here"
        else:
            if (gv == e or abs(gv - e) <= tol * max(abs(gv), abs(e), scale[i])) and (g is not None or e == 0):
                if off[i] >= 0 and not (gv == true[i] or close(gv, true[i], tol=tol)):
                    grad_verdict[i], source[i] = INHERITED, off[i]
                    mine = off[i]
            elif i in spread and _within(gv, e, spread[i], scale[i], tol):
                if off[i] >= 0:
                    grad_verdict[i], source[i] = INHERITED, off[i]
                    mine = off[i]
            else:
                _wrong_here(v, i, gv, used)
                mine = i
        args = argv[i]
        if not args:
            continue
        locs = used[i]
        if locs is None or i in broken:
            broken.update(args)
            continue
        t = true[i]
        for a, local in zip(args, locs, strict=False):
            c = gv * local
            expected[a] += c
            scale[a] += abs(c)
            true[a] += t * local
            if mine > off[a]:
                off[a] = mine
        if i in kinked:
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
    width = tol * max(abs(g), abs(lo), abs(hi), scale)
    return lo - width <= g <= hi + width


def _contributions(v: Verdicts, i: int, used: list) -> list[tuple[int, Number]]:
    """(consumer, its grad as the engine has it times the true local) for each use of node i, found by
    the consumer lists, built the first time a node is judged wrong here."""
    nodes = v.nodes
    return [
        (gate, (nodes.grads[gate] or 0) * used[gate][pos]) for gate, pos in nodes.consumers[i] if used[gate] is not None
    ]


def _wrong_here(v: Verdicts, i: int, g: Number, used: list) -> None:
    """Name the bug when the number fits one: unseeded, unreached, overwritten, stale; else wrong."""
    nodes, tol = v.nodes, v.tol
    expected, true = v.expected[i], v.true[i]
    contributions = _contributions(v, i, used)
    names = nodes.names
    if i == len(nodes.ops) - 1 and g == 0:
        v.grad[i], v.why[i] = UNSEEDED, "the root's grad is 0: backward() must set it to 1 before the loop"
        return
    if nodes.grads[i] is None or (g == 0 and expected != 0):
        what = "has no grad" if nodes.grads[i] is None else "has grad 0"
        v.grad[i], v.why[i] = UNREACHED, f"{what}, but its consumers pass it {_num(expected)}: never reached"
        return
    if len(contributions) >= 2:
        for gate, c in contributions:
            if close(g, c, tol=tol) and not close(c, expected, tol=tol):
                v.grad[i] = OVERWRITTEN
                v.why[i] = (
                    f"used {len(contributions)} times, its grad {_num(g)} is one contribution (from {names[gate]}), "
                    f"not the sum {_sum(contributions)}: `=` where `+=` belongs"
                )
                return
        for gate, c in contributions:
            if c != 0 and close(g, expected - c, tol=tol):
                v.grad[i] = UNREACHED
                v.why[i] = (
                    f"the contribution {_num(c)} from {names[gate]} never arrived (its backward rule did not run "
                    f"for this use, or the topological sort skipped {names[gate]}); should be {_sum(contributions)}"
                )
                return
    if true and _whole(g - expected, true):
        k = round((g - expected) / true)
        v.grad[i] = STALE
        v.why[i] = (
            f"grad {_num(g)} is this backward's {_num(expected)} plus {k} x the true {_num(true)} left from "
            "earlier backward() calls: grads not reset (zero_grad) between them"
        )
        return
    v.grad[i] = WRONG
    v.why[i] = _rule_text(v, i, g, contributions, used)


def _whole(ratio_top: Number, true: Number) -> bool:
    k = ratio_top / true
    return k >= 0.5 and abs(k - round(k)) <= 1e-6 * max(1.0, abs(k))


def _rule_text(v: Verdicts, i: int, g: Number, contributions: list, used: list) -> str:
    """'should be 0.5 = tanh's local rule 1 - out**2 (0.5) x grad of o (1); the engine's grad implies 0.29'."""
    nodes = v.nodes
    if len(contributions) != 1:
        return f"should be {_sum(contributions)} from its consumers' grads; the engine has {_num(g)}"
    gate, c = contributions[0]
    up = nodes.grads[gate] or 0
    pos = nodes.args[gate].index(i)
    rule = used[gate][pos]
    text = f"should be {_num(c)} = {local_text(v, gate, pos)} = {_num(rule)} x {nodes.names[gate]}'s grad {_num(up)}"
    stored = v.locals.get(gate)
    if stored is not None and stored[pos].ok is False:
        text += f"; the engine stored the local gradient {_num(stored[pos].given)}"
    elif up:
        text += f"; the engine's grad implies a local gradient of {_num(g / up)}"
    return text


def local_text(v: Verdicts, gate: int, pos: int) -> str:
    """The op's local rule for one argument, in the engine's names: 'tanh: 1 - out**2'."""
    nodes = v.nodes
    r = nodes.ops[gate]
    if r is None:
        return f"{nodes.op_text[gate]} (the engine's own local gradient)"
    templates = r.op.local_text
    args = [nodes.names[a] for a in nodes.args[gate]]
    template = templates[pos if len(templates) > 1 else 0]
    return f"{r.op.name}: " + template.format(*args, out="out", i=args[pos])


def _sum(contributions: list) -> str:
    parts = [_num(c) for _, c in contributions[:6]]
    more = " + ..." if len(contributions) > 6 else ""
    total = sum(c for _, c in contributions)
    return " + ".join(parts) + more + (f" = {_num(total)}" if len(contributions) > 1 else "")
