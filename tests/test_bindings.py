"""Bindings: the value grammar, exact types, and names that follow the program's own rules."""

from __future__ import annotations

import keyword
import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backpropcli.errors import BackpropError, InputError
from backpropcli.ops import FUNCTIONS
from backpropcli.parse import parse
from backpropcli.parse.bindings import parse_bindings, split_sets
from backpropcli.parse.lexer import MAX_DIGITS


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("-2", -2),
        ("+7", 7),
        ("-0", 0),
        (" 4 ", 4),
        ("\t5", 5),
        ("1/3", Fraction(1, 3)),
        ("-3/6", Fraction(-1, 2)),
        ("3/-6", Fraction(-1, 2)),
        ("4/2", 2),
        ("2.5", 2.5),
        ("-1e-3", -0.001),
        ("+.5e3", 500.0),
        ("1.", 1.0),
        ("1E2", 100.0),
        ("-0.0", -0.0),
        ("9" * MAX_DIGITS, int("9" * MAX_DIGITS)),
    ],
)
def test_value_grammar(text, value):
    got = parse_bindings([f"x={text}"])["x"]
    assert got == value and type(got) is type(value)  # integers and fractions stay exact


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ("x=", "has no value"),
        ("=3", "has no name before '='"),
        ("x", "is not name=value"),
        ("x=abc", "is not a number"),
        ("x=nan", "values must be finite numbers"),
        ("x=-NaN", "values must be finite numbers"),
        ("x=inf", "values must be finite numbers"),
        ("x=+Infinity", "values must be finite numbers"),
        ("x=1e999", "too large for a float"),
        ("x=-1e999", "too large for a float"),
        ("x=1e-999", "too small for a float"),
        ("x=1/0", "divides by zero"),
        ("x=1.5/2", "is not a number"),
        ("x=1_000", "is not a number"),
        ("x=0x10", "is not a number"),
        ("x=1e", "is not a number"),
        ("x=.", "is not a number"),
        ("x=--1", "is not a number"),
        ("x=\uff15", "is not a number"),
        ("x=\u0663", "is not a number"),
        ("x=\u00a05", "is not a number"),
        ("x=" + "9" * (MAX_DIGITS + 1), f"longer than {MAX_DIGITS}"),
        ("x=1/" + "9" * (MAX_DIGITS + 1), f"longer than the limit of {MAX_DIGITS} digits"),
        ("x=2*3", "is not a number"),
        ("x\udcff=1", "is not UTF-8 (byte 0xff)"),
    ],
)
def test_bad_values_and_items(item, says):
    with pytest.raises(InputError) as caught:
        parse_bindings([item])
    assert says in caught.value.message
    assert caught.value.render().isascii()  # echoed text is escaped


def test_a_name_bound_twice():
    with pytest.raises(InputError, match="x is bound twice"):
        parse_bindings(["x=1", "y=2", "x=1"])


def test_set_lists_split_at_commas():
    assert split_sets(("a=1,b=2", "c=3")) == ["a=1", "b=2", "c=3"]
    assert parse_bindings(split_sets(("a = 1, b = 1/2",))) == {"a": 1, "b": Fraction(1, 2)}


def program_accepts(name: str) -> bool:
    try:
        parse(f"{name} = 1\nout = {name} * x")
    except BackpropError:
        return False
    return True


def binding_accepts(name: str) -> bool:
    try:
        parse_bindings([f"{name}=1"])
    except BackpropError:
        return False
    return True


NAMES = [
    "x",
    "_",
    "_x",
    "x1",
    "X",
    "pi",
    "e",
    "type",
    "match",
    "case",
    "dfdx",
    "__import__",
    "a" * 200,
    "if",
    "lambda",
    "None",
    "True",
    "sin",
    "max",
    "pow",
    "1x",
    "\u00e9",
    "\uff58",
    "\u0445",
    "x.y",
    "x-y",
]


def the_rule(name: str) -> bool:
    """The documented rule, written independently: an ASCII identifier that is neither a Python keyword
    nor a function's name (soft keywords such as match and type are names)."""
    return (
        re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None
        and not keyword.iskeyword(name)
        and (name not in FUNCTIONS)
    )


def test_the_names_cover_both_sides_of_the_rule():
    assert 0 < sum(map(the_rule, NAMES)) < len(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_binding_names_follow_the_program_rules(name):
    assert program_accepts(name) == binding_accepts(name) == the_rule(name)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abwyz_019dfe\u00e9.-", min_size=1, max_size=6))
def test_binding_names_follow_the_program_rules_for_any_spelling(name):
    assert program_accepts(name) == binding_accepts(name) == the_rule(name), name
