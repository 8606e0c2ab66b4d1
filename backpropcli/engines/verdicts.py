"""Verdicts on another engine's numbers, node by node: its values, its local gradients, its grads.

A grad is judged against the gradients the engine itself gave the node's consumers, through the op
table's local rules: `correct` when it is their sum and every consumer is correct, `inherited` when
it is their sum but some consumer is off (the error came from nearer the root), and otherwise wrong
here, named as one of the classic bugs when its number fits one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import starmap

from ..ops import Number, magnitude
from .bugs import WRONG, lonely_stale, wrong_here
from .build import Nodes, close
from .resolve import Resolved

# Grad verdicts: the first passes; the others are wrong at this node, except inherited.
CORRECT = "correct"
INHERITED = "inherited"
SKIPPED = "skipped"
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
    lonely_stale(v, used)
    return v


def _forward(nodes: Nodes, tol: float) -> tuple[list[str], list, list, dict]:
    """Per gate: the op applied to the engine's argument values against the engine's value, and the op
    table's local gradients there; at a kink, the interval of subgradients. Gates are taken an op
    row at a time, each rule mapped over all of its gates at once."""
    n = len(nodes.ops)
    verdicts = [CORRECT] * n
    values: list = [None] * n
    rules: list = [None] * n
    intervals: dict[tuple[int, int], tuple[Number, Number]] = {}
    data, argv, agreed, stored = nodes.data, nodes.args, nodes.agreed, nodes.stored
    gates: dict[int, list[int]] = {}  # a row's id (rows are shared, and hashing one is slow) -> its gates
    rows: dict[int, Resolved] = {}
    for i, r in enumerate(nodes.ops):
        if i in agreed:  # its op was found from this very value and these very locals
            values[i], rules[i] = data[i], stored[i]
        elif r is None:
            verdicts[i] = SKIPPED if argv[i] else INPUT
        else:
            found = gates.get(id(r))
            if found is None:
                gates[id(r)] = [i]
                rows[id(r)] = r
            else:
                found.append(i)
    for key, members in gates.items():
        r = rows[key]
        xss = [tuple(map(data.__getitem__, argv[i])) for i in members]
        if r.constant is not None:
            xss = [(*xs, r.constant) for xs in xss]
        _apply(r.op, members, xss, (verdicts, values, rules, intervals), data, tol)
    return verdicts, values, rules, intervals


def _apply(op, members: list[int], xss: list[tuple], out: tuple, data: list, tol: float) -> None:
    """One op's rules over its gates: mapped whole, or gate by gate where a rule raises somewhere."""
    verdicts, values, rules, intervals = out
    ys = list(map(data.__getitem__, members))
    try:
        found = list(starmap(op.forward, xss))
        slopes = list(map(op.partials, xss, ys))
    except (ArithmeticError, ValueError):
        for i, xs, y in zip(members, xss, ys, strict=True):
            _gate(op, i, xs, y, out, tol)
        return
    for i, value, slope, y in zip(members, found, slopes, ys, strict=True):
        values[i], rules[i] = value, slope
        if value != y and not close(value, y, tol=tol):
            verdicts[i] = WRONG
    if op.kink is not None:
        for i, xs, y in zip(members, xss, ys, strict=True):
            _kinks(op, i, xs, y, rules[i], intervals)


def _gate(op, i: int, xs: tuple, y: Number, out: tuple, tol: float) -> None:
    verdicts, values, rules, intervals = out
    try:
        value = values[i] = op.forward(*xs)
    except (ArithmeticError, ValueError):
        verdicts[i] = UNDEFINED
        return
    if value != y and not close(value, y, tol=tol):
        verdicts[i] = WRONG
    try:
        rules[i] = op.partials(xs, y)
    except (ArithmeticError, ValueError):  # no finite slope here: the nodes below are not judged
        return
    if op.kink is not None:
        _kinks(op, i, xs, y, rules[i], intervals)


def _kinks(op, i: int, xs: tuple, y: Number, rule: tuple, intervals: dict) -> None:
    for pos, flag in enumerate(op.kink(xs, y)):
        if flag:
            intervals[i, pos] = _one_sided(op, xs, pos, rule[pos])


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
            and (
                given == rule  # the common case: the engine computed the rule's very numbers
                or all(g == q or abs(g - q) <= tol * max(abs(g), abs(q)) for g, q in zip(given, rule, strict=False))
            )
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
