"""Hostile input: every bad input gets exit 2 and one clear `error:` line, never a traceback or a hang.

The bulk runs in process through the CLI's error boundary (`run`), which is fast; what concerns
the process itself (streams, signals, argv bytes, environment) runs `python -m backpropcli`.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sys
import time
from itertools import takewhile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.bp"))
LOCATED = re.compile(r"error: <expr>:(\d+):(\d+): ")


def case(name: str, program: str, *bindings: str, says: str, at: str | None = None, options: tuple = ()):
    """One bad input: the program, its bindings, a fragment of the message, and line:col if located."""
    return pytest.param(program, bindings, says, at, options, id=name)


BAD = [
    # Syntax errors of every kind.
    case("operand-missing", "x +", says="an operand is missing", at="1:3"),
    case("paren-never-closed", "(x", says="'(' is never closed", at="1:1"),
    case("call-never-closed", "sin(x", says="'(' is never closed", at="1:4"),
    case("unmatched-close", "x)", says="unmatched ')'", at="1:2"),
    case("two-operands", "x y", says="expected an operator between 'x' and 'y'", at="1:3"),
    case("leading-operator", "* x", says="expected a number, a name or '(' here", at="1:1"),
    case("nothing-after-equals", "x =", says="nothing after '='", at="1:1"),
    case("chained-assignment", "x = y = 2", says="chained assignment is not allowed", at="1:7"),
    case("assign-to-number", "3 = x", says="can only assign to a single name", at="1:3"),
    case("augmented", "x += 1", says="augmented assignment is not allowed", at="1:3"),
    case("equality", "x == y", says="comparisons are not supported", at="1:4"),
    case("less-than", "x < y", says="comparisons are not supported", at="1:3"),
    case("not-equal", "x != y", says="comparisons are not supported", at="1:3"),
    case("floor-division", "x // 2", says="floor division // is not supported", at="1:4"),
    case("matmul", "x @ y", says="the matrix operator @ is not supported", at="1:3"),
    case("bitwise", "x & y", says="bitwise operators are not supported", at="1:3"),
    case("shift", "x << 2", says="shift operators are not supported", at="1:3"),
    case("bare-not-last", "x; y", says="a bare expression must be the last statement", at="1:1"),
    case("semicolon-in-parens", "sin(x; y)", says="';' inside parentheses", at="1:6"),
    case("stray-backslash", "x \\ y", says="a backslash is only allowed at the end of a line", at="1:3"),
    case("dollar", "$x$", says="'$' is not allowed", at="1:1"),
    case("backtick", "`x`", says="backticks are not allowed", at="1:1"),
    case("question", "x ? y", says="'?' is not allowed", at="1:3"),
    case("empty-parens", "x * ()", says="empty parentheses () are not allowed", at="1:6"),
    case("trailing-comma", "max(x, y,)", says="a trailing comma is not allowed", at="1:10"),
    case("tuple", "x, y", says="tuples are not allowed", at="1:2"),
    case("malformed-number", "2x", says="malformed number '2x' (write 2*x for a product)", at="1:2"),
    case("two-dots", "1.5.3 * x", says="malformed number '1.5.3'", at="1:4"),
    # Python outside the language: each construct is named in the message.
    case("dunder-import", "__import__('os').system('id')", says="strings are not allowed", at="1:12"),
    case("attribute", "x.real", says="attribute access is not allowed", at="1:2"),
    case("attribute-of-call", "sin(x).imag", says="attribute access is not allowed", at="1:7"),
    case("lambda", "lambda x: x", says="lambda is not allowed", at="1:1"),
    case("list-comprehension", "[x for x in y]", says="lists, subscripts and comprehensions are not allowed", at="1:1"),
    case("generator", "sum(x for x in y)", says="'for' is not allowed", at="1:7"),
    case("dict", "{x: 1}", says="sets, dicts and comprehensions are not allowed", at="1:1"),
    case("subscript", "x[0]", says="lists, subscripts and comprehensions are not allowed", at="1:2"),
    case("keyword-argument", "sin(x=1)", says="keyword arguments are not allowed", at="1:6"),
    case("starred", "max(*x)", says="starred arguments are not allowed", at="1:5"),
    case("double-starred", "max(**x)", says="starred arguments are not allowed", at="1:5"),
    case("walrus", "(y := 3) * x", says="the walrus operator := is not allowed", at="1:4"),
    case("f-string", "f'{x}'", says="f-strings are not allowed", at="1:2"),
    case("bytes", "b'x'", says="bytes literals are not allowed", at="1:2"),
    case("raw-string", "r'x'", says="strings are not allowed", at="1:2"),
    case("string", "'x' * 3", says="strings are not allowed", at="1:1"),
    case("complex", "3j * x", says="complex literals are not allowed", at="1:2"),
    case("complex-float", "x * 1.5J", says="complex literals are not allowed", at="1:8"),
    case("hex", "0x1f * x", says="hexadecimal, octal and binary literals are not allowed", at="1:2"),
    case("underscore-number", "1_000 * x", says="underscores in numbers are not allowed", at="1:2"),
    case("unknown-function", "foo(x)", says="unknown function foo()", at="1:1"),
    case("print", "print(x)", says="unknown function print()", at="1:1"),
    case("eval-call", "eval(x)", says="unknown function eval()", at="1:1"),
    case("too-many-arguments", "sin(x, y)", says="sin() takes 1 argument, got 2", at="1:1"),
    case("too-few-arguments", "max(x)", says="max() takes 2 or more arguments, got 1", at="1:1"),
    case("pow-one-argument", "pow(x)", says="pow() takes 2 arguments, got 1", at="1:1"),
    case("no-arguments", "sin()", says="a function call needs arguments", at="1:5"),
    case("function-as-value", "sin * x", says="sin is a function; call it as sin(...)", at="1:1"),
    case("conditional", "x if y else z", says="'if' is not allowed", at="1:3"),
    case("not", "not x", says="'not' is not allowed", at="1:1"),
    case("and", "x and y", says="'and' is not allowed", at="1:3"),
    case("import", "import os", says="the Python keyword 'import' is not allowed", at="1:1"),
    case("from-import", "from os import system", says="the Python keyword 'from' is not allowed", at="1:1"),
    case("yield", "yield x", says="the Python keyword 'yield' is not allowed", at="1:1"),
    case("await", "await x", says="the Python keyword 'await' is not allowed", at="1:1"),
    case("return", "return x", says="the Python keyword 'return' is not allowed", at="1:1"),
    case("del", "del x", says="the Python keyword 'del' is not allowed", at="1:1"),
    case("true", "True * x", says="True is not a number", at="1:1"),
    case("none", "x = None", says="None is not a number", at="1:5"),
    case("annotation", "x: float = 5", says="':' is not allowed", at="1:2"),
    case("type-alias", "type X = int", says="expected an operator between 'type' and 'X'", at="1:6"),
    case("function-name-assigned", "sin = 3", says="'sin' is a function name and cannot be a variable", at="1:1"),
    case("keyword-assigned", "lambda = 3", says="lambda is not allowed", at="1:1"),
    # Programs: empty ones, ones without an output, cycles, redefinitions, claims.
    case("empty", "", says="the input is empty"),
    case("blank", "  \n\t\n", says="the input is empty"),
    case("comments-only", "# a comment\n   # another\n", says="no statements, only comments and blank lines"),
    case("no-output", "x = 3", says="the program has no output"),
    case("constant-output", "x = 3 * 4 + 1", says="the program has no output"),
    case("constant-expression", "3 * 4", says="the expression has no variables", at="1:1"),
    case("redefined", "x = 1\nx = 2\nf = x * 3", says="x is defined twice: on line 1 and line 2", at="2:1"),
    case("redefined-intermediate", "f = x * 2\nf = x", says="f is defined twice", at="2:1"),
    case("self-reference", "a = a + 1", says="a is used in its own definition", at="1:1"),
    case("self-reference-general", "a = (a + 1) * 2", says="a is used in its own definition", at="1:1"),
    case("self-reference-call", "a = sin(a)", says="a is used in its own definition", at="1:1"),
    case("cycle", "a = b + 1\nb = a * 2", says="b is used on line 1 before it is defined on line 2", at="2:1"),
    case(
        "use-before-definition", "f = x * w\nw = 2", says="w is used on line 1 before it is defined on line 2", at="2:1"
    ),
    case(
        "claim-self-reference",
        "y = x * 2\ndydx = dydx + 1",
        "x=1",
        says="this claim uses dydx in its own definition",
        at="2:8",
    ),
    case("claim-unknown-name", "y = x * 2\ndydx = dydz", "x=1", says="unknown name dydz in a gradient claim", at="2:8"),
    case("claim-twice", "y = x * 2\ndydx = 2\ndy_dx = 2", "x=1", says="dy/dx is already claimed on line 2", at="3:1"),
    case(
        "output-unknown", "y = x * 2", "x=1", says="--output g: no such name in the program", options=("--output", "g")
    ),
    case(
        "output-not-a-name",
        "y = x * 2",
        "x=1",
        says="--output 'y\\x1b[31m' is not a name",
        options=("--output", "y\x1b[31m"),
    ),
    case(
        "claim-used-forward",
        "y = x * 2\ndydx = 2\nz = dydx * y",
        "x=1",
        says="dydx is a gradient claim; the forward pass cannot use it",
        at="3:5",
    ),
    # Bindings: the value grammar and the name rules.
    case("binding-no-value", "x * 2", "x=", says="binding x= has no value"),
    case("binding-no-name", "x * 2", "=3", says="has no name before '='"),
    case("binding-word", "x * 2", "x=abc", says="is not a number"),
    case("binding-nan", "x * 2", "x=nan", says="values must be finite numbers"),
    case("binding-inf", "x * 2", "x=inf", says="values must be finite numbers"),
    case("binding-minus-infinity", "x * 2", "x=-Infinity", says="values must be finite numbers"),
    case("binding-huge", "x * 2", "x=1e999", says="1e999 is too large for a float"),
    case("binding-tiny", "x * 2", "x=1e-999", says="1e-999 is too small for a float"),
    case("binding-zero-denominator", "x * 2", "x=1/0", says="divides by zero"),
    case("binding-fullwidth-digit", "x * 2", "x=\uff15", says="is not a number"),
    case("binding-arabic-digit", "x * 2", "x=\u0663", says="is not a number"),
    case("binding-underscore", "x * 2", "x=1_000", says="is not a number"),
    case("binding-hex", "x * 2", "x=0x10", says="is not a number"),
    case("binding-bare-name", "x * 2", "x", says="is not name=value"),
    case("binding-twice", "x * 2", "x=1", "x=2", says="x is bound twice"),
    case("binding-twice-set", "x * 2", "x=1", says="x is bound twice", options=("--set", "x=2")),
    case("binding-unknown", "x * 2", "x=1", "y=2", says="y is bound but the program has no input of that name"),
    case("binding-missing", "x * y", "x=1", says="no value for y", at="1:5"),
    case("binding-keyword", "x * 2", "x=1", "if=1", says="'if' is a Python keyword"),
    case("binding-function", "x * 2", "x=1", "sin=1", says="'sin' is a function name"),
    case("binding-non-ascii", "x * 2", "\xe9=1", says="is not a name"),
    case("binding-fullwidth-name", "x * 2", "\uff58=1", says="is not a name"),
    case("binding-intermediate", "y = x * 2\nf = y * 3", "x=1", "y=1", says="y is computed by the program"),
    # Arithmetic: no value or no gradient at this point; never a hang, never an inf or nan as a result.
    case("tower-of-nines", "x * 9**9**9", "x=1", says="pow(9, 387420489) overflows", at="1:5"),
    case("huge-power-of-two", "x * 2**10**10", "x=1", says="pow(2, 10000000000) overflows", at="1:5"),
    case("huge-power-exact-inputs", "x ** y", "x=2", "y=10000000000", says="overflows", at="1:1"),
    case("huge-power-fraction", "x ** y", "x=3/2", "y=10000000000", says="overflows", at="1:1"),
    case("exp-overflow", "exp(x)", "x=1000", says="exp(1000) overflows", at="1:1"),
    case("mul-overflow", "x * x", "x=1e200", says="mul(1e+200, 1e+200) overflows", at="1:1"),
    case("overflow-named-where-it-happens", "sin(x * x)", "x=1e200", says="mul(1e+200, 1e+200) overflows", at="1:5"),
    case("divide-by-literal-zero", "x / 0", "x=1", says="div(1, 0) divides by zero", at="1:1"),
    case("divide-by-input-zero", "x / y", "x=1", "y=0", says="div(1, 0) divides by zero", at="1:1"),
    case("zero-to-minus-one", "x + 0**-1", "x=1", says="pow(0, -1) divides by zero", at="1:5"),
    case("modulo-by-literal-zero", "x % 0", "x=1", says="mod(1, 0) divides by zero", at="1:1"),
    case("modulo-by-input-zero", "mod(x, y)", "x=1.5", "y=0", says="mod(1.5, 0) divides by zero", at="1:1"),
    case("modulo-by-float-zero", "x % (y - y)", "x=1", "y=0.5", says="mod(1, 0.0) divides by zero", at="1:1"),
    case("floor-of-an-overflow", "floor(exp(x))", "x=1000", says="exp(1000) overflows", at="1:7"),
    case("floor-of-inf", "floor(x)", "x=inf", says="inf"),
    case("modulo-of-nan", "x % 2", "x=nan", says="nan"),
    case("modulo-slope-beyond-floats", "x % y", "x=1e308", "y=1.5e-323", says="too large for a float", at="1:1"),
    case("log-zero", "log(x)", "x=0", says="log(0) is undefined", at="1:1"),
    case("log-negative", "log(x)", "x=-1", says="log(-1) is undefined", at="1:1"),
    case("sqrt-negative", "sqrt(x)", "x=-1", says="sqrt(-1) is undefined", at="1:1"),
    case("negative-base-fractional-power", "x ** 0.5", "x=-4", says="pow(-4, 0.5) is undefined", at="1:1"),
    case("cube-root-of-negative", "x * (-8)**(1/3)", "x=1", says="is undefined", at="1:5"),
    case("huge-literal", "x * 1e999", "x=1", says="1e999 is too large for a float", at="1:5"),
    case("tiny-literal", "x * 1e-999", "x=1", says="1e-999 is too small for a float", at="1:5"),
    case("long-literal", "x * " + "9" * 1001, "x=1", says="longer than 1000 characters", at="1:5"),
    case("huge-exact-value", "y = x ** 1000\nf = y ** 5", "x=2", says="overflows", at="2:5"),
    # Encoding: names are ASCII; any other character outside a comment is named by its code point.
    case(
        "non-ascii-name",
        "\xe9 = 1\nf = \xe9 * 2",
        says="non-ASCII character U+00E9 (LATIN SMALL LETTER E WITH ACUTE)",
        at="1:1",
    ),
    case("fullwidth-name", "\uff58 * 2", says="U+FF58 (FULLWIDTH LATIN SMALL LETTER X)", at="1:1"),
    case("cyrillic-name", "\u0445 * 2", says="U+0445 (CYRILLIC SMALL LETTER HA)", at="1:1"),
    case("unicode-minus", "x \u2212 y", says="(use '-')", at="1:3"),
    case("zero-width-space", "x\u200b * 2", says="U+200B (ZERO WIDTH SPACE)", at="1:2"),
    case("nbsp", "x\xa0* 2", says="U+00A0 (NO-BREAK SPACE)", at="1:2"),
    case("bidi-override-in-code", "x \u202e* 2", says="U+202E (RIGHT-TO-LEFT OVERRIDE)", at="1:3"),
    case("bom-in-middle", "x = 1\n\ufefff = x * 2", says="U+FEFF (ZERO WIDTH NO-BREAK SPACE)", at="2:1"),
    case("nul", "x * 2\x00", says="NUL bytes are not allowed", at="1:6"),
    case("vertical-tab", "x *\x0b2", says="character '\\x0b' (0x0b) is not allowed", at="1:4"),
    case("surrogate", "x * \udcff", says="the input is not UTF-8 (byte 0xff)", at="1:5"),
]


@pytest.mark.parametrize(("program", "bindings", "says", "at", "options"), BAD)
def test_bad_input_gets_one_error_line_and_exit_2(cli, program, bindings, says, at, options):
    result = cli("eval", "--no-check", *options, "--", program, *bindings)
    assert result.code == 2, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0].startswith("error: ") and says in lines[0], result
    assert "Traceback" not in result.err and "internal error" not in result.err
    # user text is echoed as typed where it is printable, else escaped: no control or format character
    assert all(ch.isprintable() or ch == "\n" for ch in result.err)
    if at is None:
        assert len(lines) == 1, result
        return
    located = LOCATED.match(lines[0])
    assert located is not None and f"{located[1]}:{located[2]}" == at, result
    assert len(lines) == 3, result  # the error, the source line, the caret under the spot
    assert lines[2].strip(" ^") == "" and lines[2].index("^") - 1 == int(located[2]), result


# Non-differentiable points: the subgradient convention may differ from sympy's one-sided slopes,
# but a correct gradient is never reported as a failure (exit 0).
KINKS = [
    pytest.param("relu(x)", "x=0", id="relu-at-zero"),
    pytest.param("abs(x)", "x=0", id="abs-at-zero"),
    pytest.param("max(x, y)", "x=1", "y=1", id="max-tie"),
    pytest.param("min(x, y)", "x=2", "y=2", id="min-tie"),
    pytest.param("max(x, y, z)", "x=1", "y=1", "z=1", id="three-way-tie"),
    pytest.param("max(x, y)", "x=0.1", "y=0.1", id="float-tie"),
    pytest.param("max(x + y, 0.3)", "x=0.1", "y=0.2", id="float-near-tie"),
    pytest.param("max(x, x)", "x=3", id="max-of-itself"),
    pytest.param("relu(x) - relu(-x)", "x=0", id="smooth-through-relu-kinks"),
    pytest.param("abs(x) * x", "x=0", id="smooth-through-abs-kink"),
    pytest.param("relu(relu(relu(x)))", "x=0", id="nested-kinks"),
    pytest.param("min(relu(x), abs(x))", "x=0", id="kinks-meeting"),
    pytest.param("abs(x - y) + max(x, y)", "x=1/3", "y=1/3", id="exact-fraction-tie"),
    pytest.param("h = relu(x)\ng = max(h, y)\nf = tanh(g) * x + g", "x=0", "y=0", id="kinks-deep-inside"),
    pytest.param("x**y", "x=0", "y=2", id="pow-slope-at-zero-base"),
    pytest.param("abs(x)", "x=-2", id="abs-needs-real-symbols"),
]


@pytest.mark.parametrize("args", [p.values for p in KINKS], ids=[p.id for p in KINKS])
def test_kinks_never_fail_the_check(cli, args):
    program, *bindings = args
    result = cli("eval", "--format", "json", "--", program, *bindings)
    assert result.code == 0, result
    checks = json.loads(result.out)["checks"]
    assert checks["failed"] == 0 and checks["passed"] > 0, checks


def test_smooth_function_through_kinks_is_skipped_not_failed(cli):
    result = cli("eval", "--format", "json", "--", "relu(x) - relu(-x)", "x=0")
    data = json.loads(result.out)
    assert data["gradients"] == {"x": 0}  # relu'(0) = 0 on both edges: the convention, not the slope 1
    assert data["checks"]["skipped"] >= 1 and data["checks"]["failed"] == 0


def test_division_gradient_does_not_square_the_denominator():
    """d(a/b)/db = -(a/b)/b: b**2 would overflow at b = 1e200 (a spurious error) and lose its digits
    as a subnormal at b = 1e-160 (d(y/y)/dy would be -7.5e155 instead of 0)."""
    from backpropcli.pipeline import analyze

    assert analyze("x / y", {"x": 1e300, "y": 1e200}, check=False).gradients == {"x": 1e-200, "y": -1e-100}
    assert analyze("y / y", {"y": 1.3675636787823643e-160}, check=False).gradients == {"y": 0.0}


# Powers at a base of 0 or below: what docs/limits.md says, message for message.

LIMITS = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")

POWERS = [
    pytest.param("x**y", ("x=0", "y=2"), {"x": 0, "y": 0}, id="zero-base-square"),
    pytest.param("x**y", ("x=0", "y=1"), {"x": 1, "y": 0}, id="zero-base-first-power"),
    pytest.param("x**0", ("x=0",), {"x": 0}, id="zero-base-constant-zero-power"),
    pytest.param("x**2", ("x=-2",), {"x": -4}, id="negative-base-constant-power"),
    pytest.param("x**y", ("x=0", "y=-1"), "pow(0, -1) divides by zero", id="zero-base-negative-power"),
    # the output exists, a slope does not: by hand, d(x**0)/dx = 0; 0**y jumps at y = 0; y*x**(y-1)
    # is infinite at x = 0 for y = 1/2, while 0**y is 0 near y = 1/2; log(-2) does not exist
    pytest.param("x**y", ("x=0", "y=0"), ({"x": 0, "y": None}, "pow(0, 0)"), id="zero-base-zero-power"),
    pytest.param("x**y", ("x=0", "y=0.5"), ({"x": None, "y": 0}, "pow(0, 0.5)"), id="zero-base-root"),
    pytest.param("x**y", ("x=-2", "y=2"), ({"x": -4, "y": None}, "pow(-2, 2)"), id="negative-base-input-power"),
    pytest.param("x**y", ("x=-2", "y=0.5"), "pow(-2, 0.5) is undefined (outside its domain)", id="negative-base-root"),
]


@pytest.mark.parametrize(("program", "bindings", "outcome"), POWERS)
def test_powers_at_a_base_of_zero_or_below_do_what_the_limits_page_says(cli, program, bindings, outcome):
    result = cli("eval", "--format", "json", "--", program, *bindings)
    if isinstance(outcome, str):
        assert result.code == 2 and result.err.startswith("error: <expr>:1:1: " + outcome), result
        assert f"`{outcome}" in " ".join(LIMITS.split())
        return
    assert result.code == 0, result
    data = json.loads(result.out)
    if isinstance(outcome, tuple):  # a gradient that does not exist: null, with the reason in the limits page
        outcome, gate = outcome
        reason = f"{gate} has no finite derivative here, so the gradient does not exist"
        assert data["undefined"]["reason"] == reason and data["checks"]["failed"] == 0
        assert f"`{gate} has no finite derivative here" in " ".join(LIMITS.split())
    assert data["gradients"] == outcome
    # sympy's x**y*log(x) has no value at x = 0: that check is skipped, never failed
    if "y" in outcome and outcome["y"] is not None:
        assert data["checks"]["skipped"] >= 1 and data["checks"]["failed"] == 0


# Jumps: the output exists, the slope at the jump does not (docs/limits.md, "Jumps"). By hand: x % y
# at 6, -3 jumps along both arguments (6/-3 is whole); 3*floor(x) jumps at 2; every float from 2**52
# up is whole, so ceil jumps at 1e300; z's gradient, 3 = y, needs no missing slope.

JUMPS = [
    pytest.param("x % y", ("x=6", "y=-3"), {"x": None, "y": None}, "mod jumps where a/b is a whole number", id="mod"),
    pytest.param("3 * floor(x)", ("x=2",), {"x": None}, "floor(2) has no derivative here", id="floor"),
    pytest.param("ceil(x)", ("x=1e300",), {"x": None}, "ceil jumps at 1e+300", id="ceil-of-a-huge-float"),
    pytest.param("x % y + z * y", ("x=6", "y=3", "z=1"), {"x": None, "y": None, "z": 3}, "mod(6, 3)", id="others-kept"),
]


@pytest.mark.parametrize(("program", "bindings", "gradients", "says"), JUMPS)
def test_a_jump_leaves_only_its_gradients_undefined(cli, program, bindings, gradients, says):
    result = cli("eval", "--format", "json", "--", program, *bindings)
    assert result.code == 0 and result.err == "", result
    data = json.loads(result.out)
    assert data["gradients"] == gradients
    assert says in data["undefined"]["reason"] and data["checks"]["failed"] == 0


# Size and depth, at sizes that keep the default run fast; docs/limits.md has the full-size figures.


def test_nesting_beyond_the_limit_is_a_limit_error(cli):
    result = cli("eval", "--no-check", "(" * 100_000 + "x" + ")" * 100_000, "x=1")
    assert result.code == 2 and "nest deeper than the limit of 1000" in result.err


def test_calls_nested_beyond_the_limit_are_a_limit_error(cli):
    result = cli("eval", "--no-check", "sin(" * 2000 + "x" + ")" * 2000, "x=1")
    assert result.code == 2 and "nest deeper than the limit of 1000" in result.err


def test_a_long_unary_chain_works(cli):
    result = cli("eval", "--no-check", "--format", "json", "--", "-" * 20_001 + "x", "x=2")
    assert result.code == 0, result
    assert json.loads(result.out)["gradients"] == {"x": -1}


def test_a_long_one_line_sum_works(cli):
    terms = " + ".join(f"x{k % 100}" for k in range(20_000))
    bindings = [f"x{k}={k}" for k in range(100)]
    result = cli("eval", "--no-check", "--format", "json", terms, *bindings)
    assert result.code == 0, result
    assert json.loads(result.out)["gradients"] == {f"x{k}": 200 for k in range(100)}


# The process around it: streams, files, signals, argv bytes, environment.


def backprop(
    *args: str | bytes, stdin=subprocess.DEVNULL, env: dict | None = None, **popen
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backpropcli", *args],
        stdin=stdin,
        capture_output=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=120,
        **popen,
    )


def test_a_sympy_call_past_the_budget_is_skipped_not_waited_on():
    """sympy would raise (1/3)**999999999 exactly, for minutes; the budget stops it."""
    proc = backprop("eval", "x ** 1000000000", "x=1/3", "--budget", "1", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["checks"]["failed"] == 0


def assert_error(proc: subprocess.CompletedProcess, says: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.startswith("error: ") and says in err.splitlines()[0], err
    assert "Traceback" not in err


def test_endless_input_stops_at_the_size_cap():
    assert_error(backprop("eval", "-f", "/dev/zero"), "larger than the limit of 64 MiB")


def test_missing_file():
    assert_error(backprop("eval", "-f", "no/such/file.bp"), "no such file: 'no/such/file.bp'")


def test_directory():
    assert_error(backprop("eval", "-f", "samples"), "'samples' is a directory, not a program file")


def test_empty_stdin():
    assert_error(backprop("eval", "-"), "the input is empty (<stdin>)")


def test_closed_stdin():
    assert_error(backprop("eval", "-", stdin=None, preexec_fn=lambda: os.close(0)), "stdin is closed")


def table_columns(out: str) -> list[dict[str, str]]:
    """Every rich table in `out` (headings above a rule of '─') as {heading: its cells}, each
    folded heading and cell joined back whole and its blanks dropped. Columns are told apart by
    the three blanks between them (padding, divider, padding) on every line of the table."""
    lines = out.splitlines()
    tables = []
    for rule in (i for i in range(1, len(lines)) if lines[i].strip() and not lines[i].strip("─ ")):
        head = list(takewhile(str.strip, reversed(lines[:rule])))[::-1]
        body = list(takewhile(lambda line: line.startswith(" "), lines[rule + 1 :]))
        block = [line.ljust(max(map(len, head + body))) for line in head + body]
        spans: list[list[int]] = []
        for p in (p for p in range(len(block[0])) if any(line[p] != " " for line in block)):
            if spans and p - spans[-1][1] < 3:
                spans[-1][1] = p + 1
            else:
                spans.append([p, p + 1])
        tables.append(
            {
                "".join("".join(line[a:b].split()) for line in block[: len(head)]): "".join(
                    "".join(line[a:b].split()) for line in block[len(head) :]
                )
                for a, b in spans
            }
        )
    return tables


LONG_NAME = "a_rather_long_input_name_for_a_claim"
NARROW = [  # eval and check tables are laid out without folding: tests/test_layout.py
    pytest.param(
        ("mlp", "--layers", "2,3,1", "--input", "1234567890123,-1.2", "--target", "1", "--seed", "0", "--steps", "3"),
        id="mlp",
    ),
    pytest.param(("mlp", "--layers", "2,2,1", "--data", "samples/and.csv", "--steps", "5"), id="mlp-examples"),
]


@pytest.mark.parametrize("width", [80, 60, 50, 40])
@pytest.mark.parametrize("args", NARROW)
def test_a_narrow_terminal_folds_table_cells_and_keeps_every_column(cli, monkeypatch, tmp_path, args, width):
    """Tables as wide as the terminal (80 columns when piped, as in a CI log), and every cell whole,
    only folded: a fraction cut short without a mark would read as another fraction."""
    big = tmp_path / "big.bp"
    big.write_text(
        f"{LONG_NAME} = 3\ny = 4\nf = {LONG_NAME} * y * 123456789012345\n"
        f"dfd{LONG_NAME} = 1234567890123456789/7\ndfdy = 370370370370370100\n",
        encoding="utf-8",
    )
    args = tuple(a.format(big=big) for a in args)
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "400")
    wide = cli(*args)
    monkeypatch.setenv("COLUMNS", str(width))
    narrow = cli(*args)
    assert narrow.code == wide.code, narrow
    assert max(len(line) for line in narrow.out.splitlines()) <= width
    tables = table_columns(narrow.out)
    assert tables == table_columns(wide.out) and tables


def test_non_utf8_argv():
    assert_error(backprop("eval", b"x * \xff", "x=1"), "the input is not UTF-8 (byte 0xff)")
    assert_error(backprop("eval", "x * 2", b"x\xff=1"), "is not UTF-8 (byte 0xff)")


def test_non_utf8_file_names_the_byte_and_its_place(tmp_path):
    path = tmp_path / "bad.bp"
    path.write_bytes(b"x = 1\ny = x*\xff2\n")
    proc = backprop("eval", "-f", str(path))
    assert_error(proc, "2:7: the input is not UTF-8 (byte 0xff)")


def test_a_file_name_cannot_forge_a_log_line(cli, tmp_path):
    path = tmp_path / "x\n::error file=a.bp::forged.bp"
    path.write_text("f = x $ 2\n")
    result = cli("eval", "-f", str(path), "x=1")
    assert result.code == 2
    assert "x\\n::error file=a.bp::forged.bp:1:7: '$' is not allowed" in result.err
    assert not any(line.startswith("::") for line in result.err.splitlines())


def test_bom_crlf_and_tabs_are_accepted(tmp_path):
    path = tmp_path / "windows.bp"
    path.write_bytes(b"\xef\xbb\xbfx = 3\r\n\ty\t= x * x\t# comment \xc3\xa9\r\n")
    proc = backprop("eval", "-f", str(path), "--no-check", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["gradients"] == {"x": 6}


def test_stdout_closed_by_the_reader_is_quiet():
    """`backprop eval ... | head -1`: the reader goes away; the process ends by SIGPIPE, as cat would."""
    program = "x0 = 0.5\n" + "".join(f"x{k} = tanh(x{k - 1})\n" for k in range(1, 3000))
    proc = subprocess.Popen(
        [sys.executable, "-m", "backpropcli", "eval", "-", "--no-check", "--format", "json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    proc.stdin.write(program.encode())
    proc.stdin.close()
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == -signal.SIGPIPE, err
    assert err == ""


def test_stdout_closed_before_start_keeps_the_verdict():
    proc = backprop("eval", "x * 2", "x=1", "--no-check", stdout=None, preexec_fn=lambda: os.close(1))
    assert proc.returncode == 0 and proc.stderr == b""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ("eval", "x * 2", "x=1", "--no-check"),
        ("eval", "x * 2", "x=1", "--format", "json"),
        ("mlp", "--layers", "2,1", "--input", "1,2", "--target", "1"),
    ],
)
def test_a_full_disk_is_one_error_line(args):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "backpropcli", *args],
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr.decode() == "error: cannot write the output: No space left on device\n"


def test_ascii_terminal_gets_ascii_output_and_errors():
    env = {"PYTHONIOENCODING": "ascii"}
    ok = backprop("eval", "-f", "samples/lecture27.bp", env=env)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.isascii() and b"f = 44" in ok.stdout
    bad = backprop("eval", "x = 1 # caf\u00e9\nf = x $ 2", env=env)
    assert_error(bad, "'$' is not allowed")
    assert bad.stderr.isascii()


def test_ctrl_c_exits_130_without_a_traceback():
    """SIGINT while reading a program that never ends. A child started from a background shell may
    inherit SIGINT ignored, so the child resets it before Python starts."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "backpropcli", "eval", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    proc.stdin.write(b"x = 1\n")
    proc.stdin.flush()
    _wait_until_reading_stdin(proc.pid)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130, err
    assert err.decode().strip() == "error: interrupted"  # click first ends the line the ^C was echoed on


def _wait_until_reading_stdin(pid: int, timeout: float = 60.0) -> None:
    """Poll until the process blocks in read(0, ...), i.e. it is inside the error boundary."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            call = Path(f"/proc/{pid}/syscall").read_text().split()
        except OSError:
            pytest.skip("needs /proc/PID/syscall")
        if call[:2] == ["0", "0x0"]:
            return
        time.sleep(0.02)
    pytest.fail("the process never started reading stdin")


def test_same_output_under_any_hash_seed():
    """Samples in every format and a JSON run, under PYTHONHASHSEED 0 and 1: byte-identical."""
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from backpropcli.cli import main\n"
        "for path in sys.argv[1:]:\n"
        "    for fmt in ('table', 'json', 'markdown'):\n"
        "        r = CliRunner().invoke(main, ['eval', '-f', path, '--format', fmt])\n"
        "        sys.stdout.write(f'{path} {fmt} {r.exit_code}\\n{r.output}')\n"
        "r = CliRunner().invoke(main, ['eval', 'max(x, y) * sin(x) + relu(y)', 'x=1/3', 'y=1/3', '--format', 'json'])\n"
        "sys.stdout.write(r.output)\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, *map(str, SAMPLES)],
            capture_output=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed, "COLUMNS": "100", "NO_COLOR": "1"},
            timeout=300,
        )
        for seed in ("0", "1")
    ]
    assert runs[0].returncode == runs[1].returncode == 0, runs[0].stderr
    assert len(runs[0].stdout) > 1000
    assert runs[0].stdout == runs[1].stdout


# The boundary's safety nets, reached here on purpose (the fuzzer and the properties check that
# no input reaches them).


def test_a_bug_is_reported_as_an_internal_error_not_a_traceback(cli, monkeypatch):
    import backpropcli.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(backpropcli.pipeline, "analyze", broken)
    result = cli("eval", "x * 2", "x=1")
    assert result.code == 2
    assert result.err.startswith("error: internal error (RuntimeError: 'a bug')") and "Traceback" not in result.err


def test_running_out_of_memory_is_an_error_line(cli, monkeypatch):
    import backpropcli.pipeline

    def hungry(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(backpropcli.pipeline, "analyze", hungry)
    result = cli("eval", "x * 2", "x=1")
    assert result.code == 2 and result.err.startswith("error: out of memory")


# Never evaluate user text: no evaluator of strings anywhere in the package, whatever the argument.

EVALUATORS = frozenset(
    ["eval", "exec", "compile", "sympify", "parse_expr", "S", "__import__", "execfile", "runpy", "import_module"]
)
PACKAGE = ROOT / "backpropcli"


def evaluator_calls(source: str) -> list[str]:
    """Calls of a string evaluator in Python source, as `name:line`; regex compilation is not one."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        regex = isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "re"
        if name in EVALUATORS and not regex:
            found.append(f"{name}:{node.lineno}")
    return found


def test_the_scan_finds_evaluator_calls():
    source = "import re\nre.compile('x')\neval(t)\nsp.sympify(t)\nsympy.S(t)\nexec(c)\nparse_expr(t)\n"
    assert evaluator_calls(source) == ["eval:3", "sympify:4", "S:5", "exec:6", "parse_expr:7"]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_string_evaluator_in_the_package(path):
    assert evaluator_calls(path.read_text(encoding="utf-8")) == []


def test_debug_after_the_separator_is_an_expression_not_the_flag(cli):
    """`backprop eval -- --debug` evaluates -(-debug): the word is an operand, so an error in it
    is still one line, not the traceback --debug asks for."""
    out = cli("eval", "--no-check", "--", "--debug")
    assert out.code == 2 and out.err == (
        "error: <expr>:1:3: no value for debug: it is read but never assigned (assign it, or bind it: debug=VALUE)\n"
        "  --debug\n    ^^^^^\n"
    )
    assert cli("eval", "--no-check", "--", "--debug", "debug=2").code == 0


def test_no_command_is_one_error_line(cli):
    out = cli()
    assert out.code == 2
    assert out.err.startswith("error: no command given: one of check, eval, explain, graph, mlp, ops, verify (see ")
    assert len(out.err.splitlines()) == 1 and out.out == ""


@pytest.mark.parametrize("args", [("eval", "x*"), ("mlp", "--layers", "2,0", "--input", "1", "--target", "1")])
def test_debug_shows_the_traceback_and_keeps_the_exit_status(cli, args):
    out = cli(*args, "--debug")
    assert out.code == 2  # bad input, as without --debug; never Python's 1, which means a failed check
    assert "Traceback (most recent call last)" in out.err and "Error: " in out.err.splitlines()[-1]
