"""A local-gradient template worked out without sympy where it folds to c*x**k: an integer c, one
symbol x, a whole power k. The op table's own sympy expressions build it (`a**b`, `b*a**(b - 1)`) on
these objects in place of sympy's, and it prints as sympy prints the same expression: `2*err`,
`3*t**2`, `-x`. Anything else (a function of sympy, a fraction, a negative power, two symbols) is
not this shape, and sympy works it out: importing sympy costs a table of a program with `x**2` half
a second that this saves.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction


class NotMonomial(Exception):
    """The expression leaves the shape c*x**k: sympy works it out instead."""


class Monomial:
    __slots__ = ("coefficient", "power", "symbol")

    def __init__(self, coefficient: Fraction, symbol: str | None = None, power: int = 0) -> None:
        if symbol is None or power == 0 or coefficient == 0:
            symbol, power = None, 0
        self.coefficient, self.symbol, self.power = coefficient, symbol, power

    def _same(self, other: Monomial) -> str | None:
        """The one symbol of the two (None if neither has one); two different ones leave the shape."""
        if self.symbol is not None and other.symbol is not None and self.symbol != other.symbol:
            raise NotMonomial
        return self.symbol if self.symbol is not None else other.symbol

    def __mul__(self, other: object) -> Monomial:
        other = _lifted(other)
        symbol = self._same(other)
        return Monomial(self.coefficient * other.coefficient, symbol, self.power + other.power)

    __rmul__ = __mul__

    def __add__(self, other: object) -> Monomial:
        other = _lifted(other)
        if other.coefficient == 0:
            return self
        if self.coefficient == 0:
            return other
        if (self.symbol, self.power) != (other.symbol, other.power):
            raise NotMonomial
        return Monomial(self.coefficient + other.coefficient, self.symbol, self.power)

    __radd__ = __add__

    def __neg__(self) -> Monomial:
        return Monomial(-self.coefficient, self.symbol, self.power)

    def __sub__(self, other: object) -> Monomial:
        return self + -_lifted(other)

    def __rsub__(self, other: object) -> Monomial:
        return _lifted(other) + -self

    def __pow__(self, other: object) -> Monomial:
        exponent = _lifted(other)
        n = exponent.coefficient
        if exponent.symbol is not None or n.denominator != 1 or n < 0:
            raise NotMonomial
        return Monomial(self.coefficient ** int(n), self.symbol, self.power * int(n))

    def __truediv__(self, other: object) -> Monomial:
        raise NotMonomial  # -{0}/{1}**2: sympy's to write

    __rtruediv__ = __rpow__ = __truediv__

    def text(self) -> str:
        """As sympy prints it; NotMonomial where its printing would take more than these rules."""
        c, x, k = self.coefficient, self.symbol, self.power
        if c.denominator != 1:
            raise NotMonomial  # sympy writes 3*x/2, x/2: not written out here
        if x is None:
            return str(c.numerator)
        power = x if k == 1 else f"{x}**{k}"
        return power if c == 1 else f"-{power}" if c == -1 else f"{c.numerator}*{power}"


def _lifted(value: object) -> Monomial:
    if isinstance(value, Monomial):
        return value
    if type(value) is int or type(value) is Fraction:
        return Monomial(Fraction(value))
    raise NotMonomial


class _NoFunctions:
    """What the op table's sympy expressions get as their module: any function of sympy leaves the shape."""

    def __getattr__(self, name: str):
        raise NotMonomial


def _no_float(value: float) -> Monomial:
    raise NotMonomial  # sympy writes a float its own way (0.500000000000000)


def worked_out(build: Callable[..., object]) -> str | None:
    """`build(module, symbol, rational, real)` builds the expression as for sympy (its module, Symbol,
    Rational and Float); its text where it is c*x**k, else None."""
    try:
        result = build(_NoFunctions(), lambda name: Monomial(Fraction(1), name, 1), Fraction, _no_float)
        return _lifted(result).text()
    except (NotMonomial, TypeError, ArithmeticError):  # an operation these objects do not take
        return None
