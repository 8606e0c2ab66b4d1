"""Every op's hand-written local partials against sympy and against central finite differences."""

from __future__ import annotations

import math

import pytest
import sympy

from backpropcli.errors import BackpropError
from backpropcli.ops import OPS

# Points away from every op's kinks, per arity, on both sides of 0 (relu, abs and the sign of a
# power's base are only told apart on the negative side); each op takes those inside its domain.
POINTS = {
    1: [(0.7,), (1.3,), (-0.6,), (-2.2,)],
    2: [(0.7, 1.9), (2.5, 0.6), (-1.7, 0.8), (0.6, -2.5), (-1.5, -2.0)],
    3: [(0.7, 1.9, -0.4), (-0.7, -1.9, 0.4)],
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
            for point in filter(lambda p: defined(name, p), POINTS[arity]):
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
