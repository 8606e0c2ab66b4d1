"""Bindings from the command line (`w=5`, `--set a=1,b=2`): names and values, validated as text.

Names follow the program's rules (ASCII, not a keyword or function name). Values follow an ASCII
grammar (integers, decimals, scientific notation, fractions p/q, with a sign); never float() on
raw text, which would accept 'nan', 'Infinity', '1_000' or full-width digits.
"""

from __future__ import annotations

import re
from fractions import Fraction

from ..errors import InputError
from ..ops import FUNCTIONS, Number
from .lexer import MAX_DIGITS, RESERVED, number

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_UNSIGNED = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DECIMAL = re.compile(rf"([+-]?)({_UNSIGNED})\Z")
_FRACTION = re.compile(r"([+-]?[0-9]+)/([+-]?[0-9]+)\Z")
_NOT_FINITE = frozenset(["nan", "inf", "infinity"])
_BLANKS = " \t"
VALUE_GRAMMAR = "an integer (3, -2), a decimal (2.5, -1e-3) or a fraction (1/3)"


def parse_bindings(items: list[str]) -> dict[str, Number]:
    """`name=value` items, in order; a name bound twice is an error."""
    bound: dict[str, Number] = {}
    for item in items:
        _check_encoding(item)
        name, sep, text = item.partition("=")
        name, text = name.strip(_BLANKS), text.strip(_BLANKS)
        if not sep:
            raise InputError(f"binding {_echo(item)} is not name=value")
        check_binding_name(name, item)
        if name in bound:
            raise InputError(f"{name} is bound twice")
        bound[name] = parse_value(text, name)
    return bound


def split_sets(values: tuple[str, ...]) -> list[str]:
    """`--set a=1,b=2` items, split at commas."""
    return [part for value in values for part in value.split(",") if part.strip() or not value.strip()]


def check_binding_name(name: str, item: str) -> None:
    """The same rules as a name the program assigns, so a binding can always reach its input."""
    if not name:
        raise InputError(f"binding {_echo(item)} has no name before '='")
    if not _NAME.match(name):
        raise InputError(
            f"binding {_echo(item)}: {_echo(name)} is not a name (names are ASCII letters, digits "
            f"and _, not starting with a digit)"
        )
    if name in RESERVED:
        raise InputError(f"binding {_echo(item)}: '{name}' is a Python keyword and cannot be a name")
    if name in FUNCTIONS:
        raise InputError(f"binding {_echo(item)}: '{name}' is a function name and cannot be a variable")


def parse_value(text: str, name: str) -> Number:
    """A binding's value: exact for integers and fractions, a finite float otherwise."""
    return read_value(text, f"binding {name}=")


def read_value(text: str, head: str) -> Number:
    """A value in the binding grammar. `head` is what messages say before the value: 'binding x='."""
    if not text:
        raise InputError(f"{head.rstrip()} has no value; expected {VALUE_GRAMMAR}")
    if len(text) > 2 * MAX_DIGITS + 3:
        raise InputError(f"{head}...: the value is longer than the limit of {MAX_DIGITS} digits")
    m = _FRACTION.match(text)
    if m:
        return _fraction(m.group(1), m.group(2), head, text)
    m = _DECIMAL.match(text)
    if m:
        try:
            value = number(m.group(2))
        except ValueError as exc:
            raise InputError(f"{head}{_echo(text)}: {exc}") from None
        return -value if m.group(1) == "-" else value
    if text.lower().lstrip("+-") in _NOT_FINITE:
        raise InputError(f"{head}{_echo(text)}: values must be finite numbers")
    raise InputError(f"{head}{_echo(text)} is not a number; expected {VALUE_GRAMMAR}")


def _fraction(top: str, bottom: str, head: str, text: str) -> Number:
    if max(len(top), len(bottom)) > MAX_DIGITS:
        raise InputError(f"{head}...: the value is longer than the limit of {MAX_DIGITS} digits")
    den = int(bottom)
    if den == 0:
        raise InputError(f"{head}{_echo(text)} divides by zero")
    value = Fraction(int(top), den)
    return value.numerator if value.denominator == 1 else value


def _check_encoding(item: str) -> None:
    """argv bytes that are not UTF-8 arrive as lone surrogates (surrogateescape); name the byte."""
    for ch in item:
        if "\udc80" <= ch <= "\udcff":
            raise InputError(f"binding {_echo(item)} is not UTF-8 (byte 0x{ord(ch) - 0xDC00:02x})")


def _echo(text: str) -> str:
    """User text in a message: quoted, ASCII-only and short, so it cannot steer a terminal or CI log."""
    shown = ascii(text[:60])
    return shown if len(text) <= 60 else shown[:-1] + "...'"
