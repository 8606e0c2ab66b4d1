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
    locals: dict[int, tuple[Local, ...]]  # per gate whose engine stored local gradients
    tol: float


def judge(nodes: Nodes, tol: float = 1e-9) -> Verdicts:
    n = len(nodes.names)
    data, data_true = _data(nodes, tol)
    rules, intervals = _rules(nodes)
    given = _given_locals(nodes, rules, intervals, tol)
    used = [rules[i] if nodes.ops[i] is not None else nodes.locals[i] for i in range(n)]
    true = _truth(nodes, used)
    v = Verdicts(nodes, data, data_true, [SKIPPED] * n, true, [None] * n, [""] * n, [None] * n, given, tol)
    _grads(v, used, intervals)
    return v


def _data(nodes: Nodes, tol: float) -> tuple[list[str], list[Number | None]]:
    verdicts: list[str] = []
    values: list[Number | None] = []
    data = nodes.data
    for i, r in enumerate(nodes.ops):
        if r is None:
            verdicts.append(INPUT if not nodes.args[i] else SKIPPED)
            values.append(None)
            continue
        try:
            v = r.op.forward(*[data[a] for a in nodes.args[i]])
        except (ArithmeticError, ValueError):
            verdicts.append("undefined")
            values.append(None)
            continue
        values.append(v)
        verdicts.append(CORRECT if close(v, data[i], tol=tol) else WRONG)
    return verdicts, values


def _rules(nodes: Nodes) -> tuple[list, dict[tuple[int, int], tuple[Number, Number]]]:
    """The op table's local gradients at the engine's values, and at a kink the interval of
    subgradients: the rule's one-sided values, with the argument nudged to either side."""
    rules: list = [None] * len(nodes.names)
    intervals: dict[tuple[int, int], tuple[Number, Number]] = {}
    data = nodes.data
    for i, r in enumerate(nodes.ops):
        if r is None:
            continue
        xs = tuple([data[a] for a in nodes.args[i]])
        try:
            rules[i] = r.op.partials(xs, data[i])
        except (ArithmeticError, ValueError):
            continue
        if r.op.kink is not None:
            for pos, flag in enumerate(r.op.kink(xs, data[i])):
                if flag:
                    intervals[i, pos] = _one_sided(r.op, xs, pos, rules[i][pos])
    return rules, intervals


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
    for i, given in enumerate(nodes.locals):
        if given is None:
            continue
        rule = rules[i]
        if rule is None or nodes.ops[i] is None:
            found[i] = tuple(Local(p, g, None, None) for p, g in enumerate(given))
            continue
        checks = []
        tied = [p for p in range(len(given)) if (i, p) in intervals]
        tie_ok = len(tied) < 2 or close(sum(given[p] for p in tied), sum(rule[p] for p in tied), tol=tol)
        for p, g in enumerate(given):
            box = intervals.get((i, p))
            if box is None:
                checks.append(Local(p, g, rule[p], close(g, rule[p], tol=tol)))
            else:
                inside = box[0] - tol <= g <= box[1] + tol
                checks.append(Local(p, g, rule[p], inside and tie_ok, box))
        found[i] = tuple(checks)
    return found


def _truth(nodes: Nodes, used: list) -> list[Number | None]:
    """d root / d node with the rules (the engine's own locals where the op is its own). None where a
    rule has no value on the way."""
    n = len(nodes.names)
    true: list = [0] * n
    true[n - 1] = 1
    broken = [False] * n
    for i in range(n - 1, -1, -1):
        g = true[i]
        args = nodes.args[i]
        if not args or (g == 0 and not broken[i]):
            continue
        locs = used[i]
        if locs is None or broken[i]:
            for a in args:
                broken[a] = True
            continue
        for a, local in zip(args, locs, strict=False):
            true[a] += g * local
    return [None if broken[i] else true[i] for i in range(n)]


def _grads(v: Verdicts, used: list, intervals: dict) -> None:
    """From the root down: each node against its consumers' grads as the engine has them."""
    nodes, tol = v.nodes, v.tol
    n = len(nodes.names)
    consumers: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for gate, args in enumerate(nodes.args):
        for pos, a in enumerate(args):
            consumers[a].append((gate, pos))
    grads = nodes.grads
    for i in range(n - 1, -1, -1):
        if not nodes.shown[i]:
            continue
        g = grads[i]
        terms, lo, hi, scale, unknown = [], 0.0, 0.0, 0.0, False
        if i == n - 1:
            terms.append((None, 1))
            lo = hi = scale = 1
        for gate, pos in consumers[i]:
            up = grads[gate] or 0
            locs = used[gate]
            if locs is None:
                unknown = True
                break
            c = up * locs[pos]
            terms.append((gate, c))
            box = intervals.get((gate, pos))
            if box is None:
                lo, hi = lo + c, hi + c
            else:
                ends = (up * box[0], up * box[1])
                lo, hi = lo + min(ends), hi + max(ends)
            scale += abs(c)
        if unknown:
            v.why[i] = "a local gradient on the way has no value here"
            continue
        expected = sum(c for _, c in terms)
        v.expected[i] = expected
        value = 0 if g is None else g
        width = tol * max(abs(value), abs(lo), abs(hi), scale)
        if lo - width <= value <= hi + width:
            _consistent(v, i, consumers[i])
        else:
            _wrong_here(v, i, value, terms, consumers[i], used)


def _consistent(v: Verdicts, i: int, uses: list[tuple[int, int]]) -> None:
    """Right given its consumers' grads: correct if they are, or if its own number is right anyway."""
    off = [gate for gate, _ in uses if v.grad[gate] not in PASSING]
    true, g = v.true[i], v.nodes.grads[i] or 0
    if not off or (true is not None and close(g, true, tol=v.tol)):
        v.grad[i] = CORRECT
        return
    sources = [gate if v.source[gate] is None else v.source[gate] for gate in off]
    v.grad[i] = INHERITED
    v.source[i] = max(sources)  # the wrong node nearest the root: the first the backward pass met


def _wrong_here(v: Verdicts, i: int, g: Number, terms: list, uses: list, used: list) -> None:
    nodes, tol = v.nodes, v.tol
    expected = v.expected[i]
    true = v.true[i]
    contributions = [(gate, c) for gate, c in terms if gate is not None]
    names = nodes.names
    if i == len(names) - 1 and (nodes.grads[i] is None or g == 0):
        v.grad[i], v.why[i] = UNSEEDED, "the root's grad is 0: backward() must set it to 1 before the loop"
        return
    if nodes.grads[i] is None or (g == 0 and expected != 0):
        what = "has no grad" if nodes.grads[i] is None else "has grad 0"
        v.grad[i], v.why[i] = UNREACHED, f"{what}, but its consumers pass it {_num(expected)}: never reached"
        return
    if len(terms) >= 2:
        for gate, c in contributions:
            if close(g, c, tol=tol) and not close(c, expected, tol=tol):
                v.grad[i] = OVERWRITTEN
                v.why[i] = (
                    f"used {len(terms)} times, its grad {_num(g)} is one contribution (from {names[gate]}), "
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
