"""Every op's hand-written local partials against sympy and against central finite differences."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import sympy

from backpropcli.errors import BackpropError
from backpropcli.ops import OPS

GOLDEN = Path(__file__).parent / "golden"

# Points away from every op's kinks, per arity, on both sides of 0 (relu, abs and the sign of a
# power's base are only told apart on the negative side); each op takes those inside its domain.
# An op whose domain is narrower (or whose other branch starts below 0) gets its own points.
POINTS = {
    1: [(0.7,), (1.3,), (-0.6,), (-2.2,)],
    2: [(0.7, 1.9), (2.5, 0.6), (-1.7, 0.8), (0.6, -2.5), (-1.5, -2.0)],
    3: [(0.7, 1.9, -0.4), (-0.7, -1.9, 0.4)],
}
OWN_POINTS = {
    "asin": [(0.3,), (-0.6,)],
    "acos": [(0.3,), (-0.6,)],
    "cbrt": [(0.7,), (-1.3,)],
    "sign": [(0.7,), (-1.3,)],
    "atan2": [(0.7, 1.9), (-0.4, -1.1)],
    "leaky_relu": [(0.7, 0.1), (-1.3, 0.01), (-0.5, 0.2)],
    "elu": [(0.7,), (-1.3,)],
    "silu": [(0.7,), (-1.3,)],
    "gelu": [(0.7,), (-1.3,)],
    "softplus": [(0.7,), (-40.0,), (40.0,)],
    "erf": [(0.7,), (-1.3,)],
    "log1p": [(0.7,), (-0.5,)],
    "expm1": [(0.7,), (-1.3,)],
    # both sides of a jump, and of 0: floor and ceil at 2 and -1, mod where a/b is 2 and -1
    "floor": [(0.7,), (1.9999,), (2.0001,), (-0.9999,), (-1.0001,), (-2.2,)],
    "ceil": [(0.7,), (1.9999,), (2.0001,), (-0.9999,), (-1.0001,), (-2.2,)],
    "mod": [(0.7, 1.9), (5.9, 3.0), (6.1, 3.0), (-2.9, 3.0), (-3.1, 3.0), (0.6, -2.5), (-1.5, -2.0), (2.5, 0.6)],
}


def defined(name: str, point: tuple) -> bool:
    """Does the op have a value and finite partials at the point (log and sqrt below 0 do not, nor does
    a power of a negative base along its exponent)?"""
    op = OPS[name]
    try:
        partials = op.partials(point, op.forward(*point))
    except (ArithmeticError, ValueError, BackpropError):
        return False
    return all(math.isfinite(float(p)) for p in partials)


def cases():
    for name, op in OPS.items():
        least, most = op.arity
        for arity in range(least, (most or 3) + 1):
            points = [p for p in OWN_POINTS.get(name, POINTS[arity]) if len(p) == arity]
            for point in filter(lambda p: defined(name, p), points):
                for pos in range(arity):
                    yield pytest.param(name, point, pos, id=f"{name}-{arity}ary-{point}-d{pos}")


@pytest.mark.parametrize(("name", "point", "pos"), list(cases()))
def test_partial_matches_sympy_and_finite_differences(name, point, pos):
    op = OPS[name]
    out = op.forward(*point)
    ours = float(op.partials(point, out)[pos])

    syms = sympy.symbols(f"a0:{len(point)}", real=True)
    d = sympy.diff(op.sympy(sympy, *syms), syms[pos])
    at = {s: sympy.Float(v) for s, v in zip(syms, point, strict=True)}
    theirs = float(d.xreplace(at).evalf())
    value = float(op.sympy(sympy, *syms).xreplace(at).evalf())
    assert math.isclose(float(out), value, rel_tol=1e-12, abs_tol=1e-15), f"value {out} sympy {value}"

    h = 1e-6
    up = list(point)
    down = list(point)
    up[pos] += h
    down[pos] -= h
    fd = (op.forward(*up) - op.forward(*down)) / (2 * h)

    assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), f"ours {ours} sympy {theirs}"
    assert math.isclose(ours, fd, rel_tol=1e-5, abs_tol=1e-7), f"ours {ours} finite difference {fd}"


def test_every_op_has_syntax_and_a_pattern():
    for name, op in OPS.items():
        assert op.symbols or op.functions, name
        assert op.pattern, name
        assert len(op.local_text) in (1, op.arity[0]), name


NEW_OPS = ("sinh", "cosh", "asin", "acos", "atan", "atan2", "log2", "log10", "log1p", "expm1", "exp2", "cbrt")
ACTIVATIONS = ("sign", "softplus", "leaky_relu", "elu", "silu", "gelu", "erf")
PIECEWISE = ("floor", "ceil", "mod")


@pytest.mark.parametrize("name", NEW_OPS + ACTIVATIONS + PIECEWISE)
def test_the_ops_public_suites_use_are_rows_callable_by_name(name):
    assert name in OPS and name in OPS[name].functions


@pytest.mark.parametrize(
    ("name", "point"),
    [
        ("asin", (1.0,)),
        ("acos", (-1.0,)),
        ("cbrt", (0.0,)),
        ("sign", (0,)),
        ("atan2", (0, 0)),
        ("floor", (2,)),
        ("floor", (-3.0,)),
        ("ceil", (0,)),
        ("mod", (6, 3)),
        ("mod", (0.0, 2.5)),
    ],
)
def test_where_a_new_op_has_no_finite_slope_its_rule_raises(name, point):
    op = OPS[name]
    with pytest.raises((ArithmeticError, ValueError)):
        op.partials(point, op.forward(*point) if name != "atan2" else 0.0)


def test_leaky_relu_kinks_at_zero_between_its_two_slopes():
    op = OPS["leaky_relu"]
    assert op.kink((0, 0.1), 0) == (True, False)
    assert op.kink((0.5, 0.1), 0.5) == (False, False)
    assert op.kink((0, 1), 0) == (False, False)  # slope 1: the identity, no kink


def test_ln_suggests_log():
    from backpropcli.errors import InputError
    from backpropcli.parse import parse

    with pytest.raises(InputError, match=r"unknown function ln\(\); did you mean log\(\)\?"):
        parse("f = ln(x)")


def test_the_piecewise_rows_are_in_the_parametrized_tests_on_both_sides_of_a_jump():
    ids = [param.id for param in cases()]
    for name, jump in (("floor", 2), ("ceil", 2), ("mod", 2)):
        points = [p for p in OWN_POINTS[name] if f"{name}-{len(p)}ary-{p}-d0" in ids]
        ratios = [p[0] if len(p) == 1 else p[0] / p[1] for p in points]
        assert any(jump - 0.5 < r < jump for r in ratios) and any(jump < r < jump + 0.5 for r in ratios), name
        assert any(r < 0 for r in ratios) and any(r > 0 for r in ratios), name
    assert "mod-2ary-(5.9, 3.0)-d1" in ids and "mod-2ary-(6.1, 3.0)-d1" in ids


def test_ops_lists_every_op_as_the_golden_file_shows(cli, matches_golden):
    result = cli("ops")
    assert result.code == 0
    matches_golden(GOLDEN / "ops.txt", result.out)
