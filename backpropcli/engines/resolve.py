"""Which op-table row a node of another engine is: by name, by operator symbol, by function name in
any case (micrograd's ReLU), by a symbol with a constant operand (micrograd's `**2`), or, where the
engine records no op at all (microgpt), by the row whose forward rule reproduces the node's value.

Every alias is data already on the op table's rows (symbols, functions); nothing here names an op.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

from ..ops import BINARY, FUNCTIONS, OPS, UNARY, Number, Op, accepts, magnitude

# A constant operand found by solving op(x, c) = y (Newton's method on the row's own partial in c).
NEWTON_STEPS = 60
ROUND_DIGITS = 4  # decimals of a constant operand found from the values: -0.5 and 2 are, 0.7315... is not


@dataclass(frozen=True)
class Resolved:
    """A gate's op row, how many times each given child is used, and a constant last operand, if any."""

    op: Op
    repeat: bool = False  # one child standing for both operands (a + a in an engine whose children are a set)
    constant: Number | None = None


def named(text: str, children: int, constant: Number | None, distinct: bool = False) -> list[Resolved]:
    """The rows an op string may mean with this many children, most likely first; more than one only
    where the value must decide. `distinct`: the engine keeps each child once (micrograd's `_prev` is
    a set), so '+' with one child is a + a, and a lone child may stand for both operands."""
    if text in OPS:
        return _fitting([OPS[text]], children, constant, distinct)
    lower = text.lower()
    rows = [row for row in (OPS.get(lower), FUNCTIONS.get(lower)) if row is not None]
    if text in BINARY:
        rows.append(BINARY[text])
    if children == 1 and text in UNARY:
        rows.append(UNARY[text])
    found = _fitting(rows, children, constant, distinct)
    if found or constant is not None or children != 1:
        return found
    symbol, number = _split(text)
    return [Resolved(BINARY[symbol], constant=number)] if symbol else []


def _fitting(rows: list[Op], children: int, constant: Number | None, distinct: bool) -> list[Resolved]:
    found: list[Resolved] = []
    for row in dict.fromkeys(rows):
        if constant is not None:
            if accepts(row, children + 1):
                found.append(Resolved(row, constant=constant))
        elif accepts(row, children):
            found.append(Resolved(row))
        elif distinct and children == 1 and accepts(row, 2):
            found.append(Resolved(row, repeat=True))
    return found


def _split(text: str) -> tuple[str | None, Number | None]:
    """'**2' -> ('**', 2), '**-0.5' -> ('**', -0.5): the longest operator symbol, then a number."""
    for symbol in sorted(BINARY, key=len, reverse=True):
        if text.startswith(symbol):
            number = number_text(text[len(symbol) :])
            return (symbol, number) if number is not None else (None, None)
    return None, None


def number_text(text: str) -> Number | None:
    """An int or a finite float written as text (as Python's repr of an exponent writes it), else None."""
    if not text or len(text) > 40 or not text.isascii():
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def inferred(
    xs: tuple[Number, ...], y: Number, local: tuple | None, tol: float, recent: list[Resolved]
) -> tuple[Resolved | None, bool]:
    """The row whose forward rule gives y from xs, preferring one whose own local gradients are the
    engine's, then table order. The rows found most recently are tried first (a layer is many nodes of
    a few ops); the caller keeps that list. With one child, rows of that arity come first; a binary row
    with a constant operand (a power) counts only where the solved constant is a short number: any
    add or mul reproduces any value with some constant, so only a round one tells something.

    Also returns whether the engine's local gradients are the row's own (then they need no second look)."""
    for r in recent:  # rows for this many children
        if fits(r, xs, y, local, tol):
            return r, local is not None
    first = None
    for r in _candidates(xs, y, local):
        if not fits(r, xs, y, None, tol):
            continue
        if local is None or fits(r, xs, y, local, tol):
            return r, local is not None
        first = first or r
    return first, False


def _candidates(xs: tuple[Number, ...], y: Number, local: tuple | None) -> Iterator[Resolved]:
    yield from _rows(len(xs))
    if len(xs) == 1 and local is not None:  # a constant found from the value alone would fit anything
        for row in OPS.values():
            if not accepts(row, 2):
                continue
            c = _solve(row, xs[0], y)
            if c is None and local is not None:  # the value does not move with c (1**c): the local does
                c = _secant(row, xs[0], local[0])
            if c is not None:
                yield Resolved(row, constant=c)


@functools.cache
def _rows(count: int) -> tuple[Resolved, ...]:
    """The rows that take this many arguments, in table order (built once per count)."""
    return tuple(Resolved(row) for row in OPS.values() if accepts(row, count))


def fits(r: Resolved, xs: tuple, y: Number, local: tuple | None, tol: float) -> bool:
    """Does the row give y from xs (and, when local is given, the engine's local gradients)?"""
    args = xs if r.constant is None and not r.repeat else operands(r, xs)
    try:
        v = r.op.forward(*args)
        if v != y and magnitude(v - y) > tol * max(magnitude(v), magnitude(y)):
            return False
        if local is None:
            return True
        rule = r.op.partials(args, y)
    except (ArithmeticError, ValueError, TypeError):
        return False
    if len(local) != len(xs):
        return False
    return all(a == b or abs(a - b) <= tol * max(abs(a), abs(b)) for a, b in zip(rule, local, strict=False))


def operands(r: Resolved, xs: tuple[Number, ...]) -> tuple[Number, ...]:
    if r.repeat:
        return xs + xs
    return xs if r.constant is None else (*xs, r.constant)


def _solve(row: Op, x: Number, y: Number) -> Number | None:
    """c with row.forward(x, c) = y, by Newton's method on the row's partial in its second operand."""
    c = 1.0
    for _ in range(NEWTON_STEPS):
        try:
            out = row.forward(x, c)
            slope = row.partials((x, c), out)[1]
            step = (out - y) / slope
        except (ArithmeticError, ValueError, TypeError):
            return None
        if not math.isfinite(step):
            return None
        c = float(c - step)
        if abs(step) <= 1e-15 * max(1.0, abs(c)):
            return _round(c)
    return None


def _secant(row: Op, x: Number, local: Number) -> Number | None:
    """c with the row's local gradient in x equal to the engine's, by the secant method."""

    def gap(c: float) -> float:
        return float(row.partials((x, c), row.forward(x, c))[0]) - local

    try:
        c0, c1 = 1.0, 2.0
        g0, g1 = gap(c0), gap(c1)
        for _ in range(NEWTON_STEPS):
            if g1 == 0:
                return _round(c1)
            if g1 == g0:
                return None
            c0, c1 = c1, c1 - g1 * (c1 - c0) / (g1 - g0)
            g0, g1 = g1, gap(c1)
    except (ArithmeticError, ValueError, TypeError):
        return None
    return None


def _round(c: float) -> Number | None:
    """The short number Newton landed next to (-0.5 rather than -0.5000000000000001), or None."""
    for digits in range(0, ROUND_DIGITS + 1):
        r = round(c, digits)
        if abs(r - c) <= 1e-9 * max(1.0, abs(c)):
            return int(r) if digits == 0 else r
    return None
