"""The yardstick: a flat-list tape, the plainest fast pure-Python engine for the bench's op lists.

One list per field (op code, first and second argument, value), filled from the op list in program
order; forward is one loop over them with the arithmetic written inline per op code, backward the
same loop reversed, accumulating into a list of gradients. It keeps nothing the tool must keep: no
exact numbers, no overflow checks, no local gradients per edge, no names or positions, no errors.
What it costs is the floor a pure-Python engine can reach on these workloads; ours is measured
against it in the same run.

`run_kept` is the same tape keeping what a run of the tool keeps, and nothing more: seven columns
per node (op, two arguments, name, given value, span start and end), and every gate's local
partials (a shared tuple where they are constants), for the ledger and the checks. What it costs
over the tape is the least that keeping them costs in pure Python.

`run_rules` is the same tape with the op table's own rules in place of the inline arithmetic (a call
of the op's forward rule per gate, and of its partials rule with a tuple of arguments): the floor
of an engine that keeps one rule per op, as ours does. What ours costs beyond it is the build and
what the passes keep (names, positions, the partials of every gate, exact numbers and their guards).

`run_kept_rules` is both: the seven columns and every gate's partials, from the op table's rules.
It is the least an engine of the tool's design costs (one row per op holds its rules, and the
passes call them), before exact numbers, their guards, kinks and errors.
"""

from __future__ import annotations

import math

from backpropcli.ops import OPS

LEAF, ADD, SUB, MUL, POW, TANH = range(6)
CODES = {"add": ADD, "sub": SUB, "mul": MUL, "pow": POW, "tanh": TANH}


def run(prog: list[tuple]) -> tuple[list[float], list[float]]:
    """Build, forward, backward: the values and gradients of every node."""
    ops, first, second, values = build(prog)
    forward(ops, first, second, values)
    return values, backward(ops, first, second, values)


def build(prog: list[tuple]) -> tuple[list[int], list[int], list[int], list]:
    ops: list[int] = []
    first: list[int] = []
    second: list[int] = []
    values: list = []
    ids: dict[str, int] = {}
    codes = CODES
    for stmt in prog:
        if len(stmt) == 2:
            ids[stmt[0]] = len(ops)
            ops.append(LEAF)
            first.append(-1)
            second.append(-1)
            values.append(stmt[1])
            continue
        name, op, a, c = stmt
        if c is not None and type(c) is not str:  # a constant operand is a leaf of its own
            ops.append(LEAF)
            first.append(-1)
            second.append(-1)
            values.append(c)
            c = len(ops) - 1
        elif c is not None:
            c = ids[c]
        ids[name] = len(ops)
        ops.append(codes[op])
        first.append(ids[a])
        second.append(-1 if c is None else c)
        values.append(None)
    return ops, first, second, values


def forward(ops: list[int], first: list[int], second: list[int], values: list) -> None:
    for i, op, a, b in zip(range(len(ops)), ops, first, second, strict=True):
        if op == ADD:
            values[i] = values[a] + values[b]
        elif op == MUL:
            values[i] = values[a] * values[b]
        elif op == TANH:
            values[i] = math.tanh(values[a])
        elif op == SUB:
            values[i] = values[a] - values[b]
        elif op == POW:
            values[i] = values[a] ** values[b]


def backward(ops: list[int], first: list[int], second: list[int], values: list) -> list[float]:
    n = len(ops)
    grads = [0.0] * n
    grads[n - 1] = 1.0
    for i in range(n - 1, -1, -1):
        op = ops[i]
        if op == LEAF:
            continue
        g = grads[i]
        a = first[i]
        if op == ADD:
            grads[a] += g
            grads[second[i]] += g
        elif op == MUL:
            b = second[i]
            grads[a] += g * values[b]
            grads[b] += g * values[a]
        elif op == TANH:
            t = values[i]
            grads[a] += g * (1 - t * t)
        elif op == SUB:
            grads[a] += g
            grads[second[i]] -= g
        elif op == POW:
            b = second[i]
            grads[a] += g * values[b] * values[a] ** (values[b] - 1)
    return grads


ROWS = [None] * len(CODES) + [None]
for _name, _code in CODES.items():
    ROWS[_code] = OPS[_name]


def run_rules(prog: list[tuple]) -> tuple[list[float], list[float]]:
    """Build, forward, backward as run() does, with the op table's rules called per gate."""
    ops, first, second, values = build(prog)
    forward_rules(ops, first, second, values)
    return values, backward_rules(ops, first, second, values)


def forward_rules(ops: list[int], first: list[int], second: list[int], values: list) -> None:
    rules = [None if row is None else row.forward for row in ROWS]
    for i, op, a, b in zip(range(len(ops)), ops, first, second, strict=True):
        if op == LEAF:
            continue
        values[i] = rules[op](values[a], values[b]) if b >= 0 else rules[op](values[a])


def backward_rules(ops: list[int], first: list[int], second: list[int], values: list) -> list[float]:
    rules = [None if row is None else row.partials for row in ROWS]
    n = len(ops)
    grads = [0.0] * n
    grads[n - 1] = 1.0
    for i in range(n - 1, -1, -1):
        op = ops[i]
        if op == LEAF:
            continue
        g = grads[i]
        a, b = first[i], second[i]
        if b >= 0:
            locs = rules[op]((values[a], values[b]), values[i])
            grads[a] += g * locs[0]
            grads[b] += g * locs[1]
        else:
            grads[a] += g * rules[op]((values[a],), values[i])[0]
    return grads


def run_kept(prog: list[tuple]) -> tuple[list, list, list]:
    """Build, forward, backward as run() does, keeping the tool's columns and every gate's partials."""
    columns = build_kept(prog)
    ops, first, second, values = columns[0], columns[1], columns[2], columns[4]
    forward(ops, first, second, values)
    grads, partials = backward_kept(ops, first, second, values)
    return values, grads, partials


def build_kept(prog: list[tuple]) -> tuple[list, list, list, list, list, list, list]:
    """The seven columns, filled per statement in program order; a span is a statement's index here
    (an op list has no text), which costs what a span from the text costs to keep."""
    ops: list[int] = []
    first: list[int] = []
    second: list[int] = []
    names: list = []
    values: list = []
    starts: list[int] = []
    ends: list[int] = []
    ids: dict[str, int] = {}
    codes = CODES
    for at, stmt in enumerate(prog):
        if len(stmt) == 2:
            ids[stmt[0]] = len(ops)
            ops.append(LEAF)
            first.append(-1)
            second.append(-1)
            names.append(stmt[0])
            values.append(stmt[1])
            starts.append(at)
            ends.append(at + 1)
            continue
        name, op, a, c = stmt
        if c is not None and type(c) is not str:
            ops.append(LEAF)
            first.append(-1)
            second.append(-1)
            names.append(None)
            values.append(c)
            starts.append(at)
            ends.append(at + 1)
            c = len(ops) - 1
        elif c is not None:
            c = ids[c]
        ids[name] = len(ops)
        ops.append(codes[op])
        first.append(ids[a])
        second.append(-1 if c is None else c)
        names.append(name)
        values.append(None)
        starts.append(at)
        ends.append(at + 1)
    return ops, first, second, names, values, starts, ends


def backward_kept(ops: list[int], first: list[int], second: list[int], values: list) -> tuple[list, list]:
    n = len(ops)
    grads = [0.0] * n
    grads[n - 1] = 1.0
    partials: list = [None] * n
    plus, minus = (1, 1), (1, -1)
    for i in range(n - 1, -1, -1):
        op = ops[i]
        if op == LEAF:
            continue
        g = grads[i]
        a = first[i]
        if op == ADD:
            partials[i] = plus
            grads[a] += g
            grads[second[i]] += g
        elif op == MUL:
            b = second[i]
            partials[i] = locs = (values[b], values[a])
            grads[a] += g * locs[0]
            grads[b] += g * locs[1]
        elif op == TANH:
            t = values[i]
            partials[i] = locs = (1 - t * t,)
            grads[a] += g * locs[0]
        elif op == SUB:
            partials[i] = minus
            grads[a] += g
            grads[second[i]] -= g
        elif op == POW:
            b = second[i]
            x, y = values[a], values[b]
            partials[i] = locs = (y * x ** (y - 1), values[i] * math.log(x) if x > 0 else math.nan)
            grads[a] += g * locs[0]
            grads[b] += g * locs[1]
    return grads, partials


def run_kept_rules(prog: list[tuple]) -> tuple[list, list, list]:
    """run_kept with the op table's rules called per gate, as run_rules calls them."""
    columns = build_kept(prog)
    ops, first, second, values = columns[0], columns[1], columns[2], columns[4]
    forward_rules(ops, first, second, values)
    grads, partials = backward_kept_rules(ops, first, second, values)
    return values, grads, partials


def backward_kept_rules(ops: list[int], first: list[int], second: list[int], values: list) -> tuple[list, list]:
    rules = [None if row is None else row.partials for row in ROWS]
    n = len(ops)
    grads = [0.0] * n
    grads[n - 1] = 1.0
    partials: list = [None] * n
    for i in range(n - 1, -1, -1):
        op = ops[i]
        if op == LEAF:
            continue
        g = grads[i]
        a, b = first[i], second[i]
        if b >= 0:
            partials[i] = locs = rules[op]((values[a], values[b]), values[i])
            grads[a] += g * locs[0]
            grads[b] += g * locs[1]
        else:
            partials[i] = locs = rules[op]((values[a],), values[i])
            grads[a] += g * locs[0]
    return grads, partials
