"""Bindings from the command line (`w=5`, `--set a=1,b=2`): names and values, validated as text.

Values follow an ASCII grammar (integers, decimals, scientific notation, fractions p/q, with a
sign); never float() on raw text, which would accept 'nan', 'Infinity' or full-width digits.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from .errors import InputError
from .lexer import RESERVED
from .ops import FUNCTIONS, Number

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INTEGER = re.compile(r"[+-]?\d{1,1000}\Z")
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?\Z")
_FRACTION = re.compile(r"([+-]?\d{1,1000})/([+-]?\d{1,1000})\Z")
VALUE_GRAMMAR = "an integer (3, -2), a decimal (2.5, -1e-3) or a fraction (1/3)"


def parse_bindings(items: list[str]) -> dict[str, Number]:
    """`name=value` items, in order; a name bound twice is an error."""
    bound: dict[str, Number] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
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
    if not name:
        raise InputError(f"binding {_echo(item)} has no name before '='")
    if not _NAME.match(name):
        raise InputError(f"binding {_echo(item)}: {_echo(name)} is not a name (names are ASCII letters, digits "
                         f"and _, not starting with a digit)")
    if name in RESERVED or name in FUNCTIONS:
        raise InputError(f"binding {_echo(item)}: {name} is a reserved word or function name")


def parse_value(text: str, name: str) -> Number:
    if not text:
        raise InputError(f"binding {name}= has no value; expected {VALUE_GRAMMAR}")
    if _INTEGER.match(text):
        return int(text)
    m = _FRACTION.match(text)
    if m:
        den = int(m.group(2))
        if den == 0:
            raise InputError(f"binding {name}={_echo(text)} divides by zero")
        value = Fraction(int(m.group(1)), den)
        return value.numerator if value.denominator == 1 else value
    if _DECIMAL.match(text):
        value = float(text)
        if not math.isfinite(value):
            raise InputError(f"binding {name}={_echo(text)} is too large for a float")
        return value
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise InputError(f"binding {name}={_echo(text)}: values must be finite numbers")
    raise InputError(f"binding {name}={_echo(text)} is not a number; expected {VALUE_GRAMMAR}")


def _echo(text: str) -> str:
    """User text in a message: quoted, ASCII-only and short, so it cannot steer a terminal or CI log."""
    shown = ascii(text[:60])
    return shown if len(text) <= 60 else shown[:-1] + "...'"
