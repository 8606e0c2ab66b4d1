"""The op table's rules at another engine's own values, gate by gate: each value against the op applied
to the engine's arguments, the local gradients there (an interval of them at a kink), and the local
gradients the engine stored against them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress, filterfalse, repeat, starmap
from operator import and_, eq, is_not, itemgetter

from ..ops import Number
from .bugs import WRONG
from .nodes import Nodes, close
from .resolve import Resolved

# Data verdicts (with bugs.WRONG); CORRECT and SKIPPED are grad verdicts too.
CORRECT = "correct"
SKIPPED = "skipped"
INPUT = "input"  # a leaf: its value is given, not computed
UNDEFINED = "undefined"  # the op has no value at the engine's arguments


@dataclass(frozen=True)
class Local:
    """One local gradient the engine stored (microgpt's `_local_grads`) against the op table's rule."""

    pos: int
    given: Number
    rule: Number | None  # None: the rule has no value here, or the op is the engine's own
    ok: bool | None  # None: not judged
    interval: tuple[Number, Number] | None = None  # at a kink: the subgradients that pass


def at_values(nodes: Nodes, tol: float) -> tuple[list[str], list, list, dict]:
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
        xss = _arguments(members, argv, data, r.constant)
        _apply(r.op, members, xss, (verdicts, values, rules, intervals), data, tol)
    return verdicts, values, rules, intervals


def _arguments(members: list[int], argv: list, data: list, constant: Number | None) -> list[tuple]:
    """Each gate's argument values (and the row's constant after them), by position in C-level maps
    where the gates all take the same number of arguments."""
    argss = list(map(argv.__getitem__, members))
    counts = set(map(len, argss))
    if len(counts) == 1:
        columns: list[Iterator] = [map(data.__getitem__, map(itemgetter(p), argss)) for p in range(counts.pop())]
        if constant is not None:
            columns.append(repeat(constant))
        return list(zip(*columns, strict=False))  # (the constant's column never ends)
    xss = [tuple(map(data.__getitem__, args)) for args in argss]
    return xss if constant is None else [(*xs, constant) for xs in xss]


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


def stored_locals(nodes: Nodes, rules: list, intervals: dict, tol: float) -> dict[int, tuple[Local, ...]]:
    """Each stored local gradient against the rule; at a kink, inside the interval, and the tied
    arguments' locals summing to the rule's sum: together they must be one subgradient."""
    found: dict[int, tuple[Local, ...]] = {}
    stored, keys = nodes.stored, list(nodes.stored)
    # The common case, in C: a gate of the table, without a kink, whose stored locals are the rule's very numbers.
    equal = map(eq, stored.values(), map(rules.__getitem__, keys))
    with_row = map(is_not, map(nodes.ops.__getitem__, keys), repeat(None))
    plain = set(compress(keys, map(and_, equal, with_row))) - {gate for gate, _ in intervals}
    for i in filterfalse((plain | nodes.agreed).__contains__, keys):  # agreed: found from these very locals
        given, rule = stored[i], rules[i]
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
