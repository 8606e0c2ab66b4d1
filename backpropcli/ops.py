"""THE op table: one row per op, holding everything about it.

Forward rule, hand-written local partials, sympy counterpart, syntax, the CS231n pattern,
and the kink rule all live here, so adding an op is adding a row. No other module names an op.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any, cast

Number = int | Fraction | float


def magnitude(x: Number) -> Number:
    """abs(x): a Number of the same kind (the type checker joins abs over the three kinds to object)."""
    return cast(Number, abs(x))


# Exact values (int, Fraction) whose numerator or denominator would exceed this many bits
# fall back to float, so `9**9**9` or a squaring recurrence cannot eat all memory.
MAX_EXACT_BITS = 4096

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}


@dataclass(frozen=True)
class Op:
    """One row. `partials(args, out)` returns d out / d args[i] for every i, hand-written."""

    name: str
    arity: tuple[int, int]  # (least, most) number of arguments; most == 0 means no upper bound
    forward: Callable[..., Number]
    partials: Callable[[tuple, Number], tuple]
    sympy: Callable[..., Any]  # (sympy module, *argument expressions) -> expression
    pattern: str  # what the gate does to the gradient arriving at it, in the lecture's words: 'mul swaps';
    # {0}, {1}: its arguments, {out}: the gate, filled with the program's own names where it is shown
    local_text: tuple[str, ...]  # local gradient per argument: {0}, {1}: arguments; {out}: the gate
    symbols: tuple[str, ...] = ()  # operator tokens
    functions: tuple[str, ...] = ()  # call names
    precedence: int = 0
    right_assoc: bool = False
    kink: Callable[[tuple, Number], tuple] | None = None  # per argument: is the partial at a kink?
    # where forward is a C function's result checked by _result, that function alone (add's
    # operator.add): the forward pass calls it and checks each result itself, with no Python call
    kernel: Callable[..., Number] | None = None


class Constant:
    """A partials rule whose slopes are the same at every point (add's 1 and 1): called as any rule is,
    and its `slopes` taken as they are where the backward pass has no call to spare."""

    __slots__ = ("slopes",)

    def __init__(self, *slopes: int) -> None:
        self.slopes = slopes

    def __call__(self, args: tuple, out: Number) -> tuple[int, ...]:
        return self.slopes


class Jump(ValueError):
    """A partial asked for where its op jumps (sign at 0, floor at 2): there is no derivative and no
    subgradient. The message says where, for the error at the gate."""


def is_exact(v: Number) -> bool:
    return type(v) is not float


def _bits(v: int | Fraction) -> int:
    if type(v) is int:
        return v.bit_length()
    return max(v.numerator.bit_length(), v.denominator.bit_length())


# |v| < this bound is at most MAX_EXACT_BITS bits: one comparison of two ints, instead of asking an
# int its bit length in a function of its own at every exact result (a sum of a million small
# integers never comes near it, so its guard costs a comparison per step).
EXACT_BOUND = 1 << MAX_EXACT_BITS


def exact(v: Number) -> Number:
    """Keep an exact result exact while it is small; past MAX_EXACT_BITS it becomes a float."""
    t = type(v)
    if t is float:
        return v
    if t is int:
        return v if -EXACT_BOUND < v < EXACT_BOUND else float(v)
    rational = cast("int | Fraction", v)  # not a float: a Fraction (or an int subclass such as bool)
    if rational.denominator == 1:
        whole = rational.numerator
        return whole if -EXACT_BOUND < whole < EXACT_BOUND else float(whole)
    return float(rational) if _bits(rational) > MAX_EXACT_BITS else rational


def _result(v: Number) -> Number:
    """An arithmetic result: exact while small, and never inf, so an overflow is reported at the gate
    that caused it rather than where the inf (or a nan made from it) first makes an op raise."""
    if type(v) is float:
        if v - v == 0:  # false for inf and nan
            return v
        raise OverflowError("the result is too large for a float")  # pragma: no mutate
    return exact(v)


# add, sub and mul: _result(a + b) with a float or an int result checked in line, for the rules that
# call them per gate (the forward pass calls their kernels, operator.add and the rest, and checks).
def _add(a, b):
    v = a + b
    t = type(v)
    if t is float:
        if v - v == 0:
            return v
    elif t is int and -EXACT_BOUND < v < EXACT_BOUND:
        return v
    return _result(v)


def _sub(a, b):
    v = a - b
    t = type(v)
    if t is float:
        if v - v == 0:
            return v
    elif t is int and -EXACT_BOUND < v < EXACT_BOUND:
        return v
    return _result(v)


def _mul(a, b):
    v = a * b
    t = type(v)
    if t is float:
        if v - v == 0:
            return v
    elif t is int and -EXACT_BOUND < v < EXACT_BOUND:
        return v
    return _result(v)


def _div(a, b):
    if type(a) is not float and type(b) is not float:
        return exact(Fraction(a) / b)
    return _result(a / b)


def _pow(a, b):
    if type(b) is int and type(a) is not float and abs(b) * max(_bits(a), 1) <= MAX_EXACT_BITS:
        return exact(Fraction(a) ** b if b < 0 else a**b)
    return math.pow(a, b)  # raises instead of returning a complex number or inf


def _pow_partials(args, out):
    a, b = args
    try:
        da = 0 if b == 0 else _mul(b, _pow(a, _sub(b, 1)))
    except (ValueError, ZeroDivisionError):  # 0.0 ** -0.5: no slope along the base, which matters only
        da = math.nan  # if the base varies (a constant base takes no gradient: 0.0 ** y has df/dy = 0)
    # d/db a**b = a**b * log a exists only for a > 0 (it is 0 at a = 0 when b > 0); the
    # backward pass asks for it only when the exponent depends on an input.
    if a > 0:
        # log of an exact fraction from its parts: math.log takes ints of any size, but a fraction
        # beyond the float range either way would overflow or become 0.0 on its way to a float
        log = math.log(a.numerator) - math.log(a.denominator) if type(a) is Fraction else math.log(a)
        try:
            return da, out * log
        except OverflowError:  # an exact power times its log, beyond the float range
            return da, math.inf
    return da, (0 if a == 0 and b > 0 else math.nan)


def _sigmoid(a):
    # two-branch form: neither branch overflows for large |a|
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    z = math.exp(a)
    return z / (1.0 + z)


def _sigmoid_slope(args, out):
    """s*(1 - s), as exp(-|a|)/(1 + exp(-|a|))**2: 1 - s cancels to nothing once s rounds to 1 (a > 37)."""
    q = math.exp(-abs(args[0]))
    return (q / ((1.0 + q) * (1.0 + q)),)


def _tanh_slope(args, out):
    """1 - t**2, as 4*exp(-2|a|)/(1 + exp(-2|a|))**2: 1 - t**2 loses every digit once |t| rounds to 1."""
    q = math.exp(-2 * abs(args[0]))
    return (4 * q / ((1.0 + q) * (1.0 + q)),)


def _sech_squared(z):
    try:
        c = math.cosh(z)
    except OverflowError:  # |z| > 710: far below the smallest float
        return 0.0
    return 1.0 / c / c


def _relu(a):
    return a if a > 0 else a - a  # 0 of the same kind (exact 0 or 0.0)


def _sign(a):
    return (a > 0) - (a < 0)


def _extremum_partials(args, out):
    """Ties split evenly: the minimum-norm subgradient (PyTorch's convention for max/min)."""
    tied = sum(1 for a in args if a == out)
    share = 1 if tied == 1 else Fraction(1, tied)
    return tuple(share if a == out else 0 for a in args)


def _extremum_kinks(args, out):
    tied = sum(1 for a in args if a == out)
    return tuple(tied > 1 and a == out for a in args)


def _at_zero(args, out):
    return (args[0] == 0,)


def _atan2_partials(args, out):
    y, x = args
    if type(x) is float or type(y) is float:
        # scaled by s = max(|x|, |y|): x*x + y*y underflows to 0 at 1e-200 (a slope of 1e200 is finite)
        # and overflows at 1e200; x/(x**2 + y**2) = (x/s) / (s*((x/s)**2 + (y/s)**2))
        s = float(max(abs(x), abs(y)))
        if s == 0:
            raise ZeroDivisionError("atan2 has no slope at the origin")  # pragma: no mutate
        xs, ys = x / s, y / s
        r = s * (xs * xs + ys * ys)
        return xs / r, -ys / r
    r2 = _add(_mul(x, x), _mul(y, y))  # 0 at the origin: a division by zero, no slope there
    return _div(x, r2), _div(-y, r2)


def _sign_partials(args, out):
    """0 on either side; at 0 sign jumps, so it has no slope at all (not a kink: no subgradient)."""
    if args[0] == 0:
        raise Jump("sign jumps at 0")
    return (0,)


def _floor(a):
    """Exact in, exact out (floor of a Fraction is an int); a float stays a float."""
    return math.floor(a) if type(a) is not float else float(math.floor(a))


def _ceil(a):
    return math.ceil(a) if type(a) is not float else float(math.ceil(a))


def _steps(name: str) -> Callable[[tuple, Number], tuple]:
    """floor and ceil: slope 0 between whole numbers; at one (where the op returns its argument) it
    jumps, so it has no derivative and no subgradient."""

    def partials(args, out):
        if args[0] == out:
            raise Jump(f"{name} jumps at {brief(args[0])}")
        return (0,)

    return partials


def _mod(a, b):
    """Python's a % b (sympy's Mod): a - b*floor(a/b), with the sign of b; b = 0 divides by zero."""
    if type(a) is not float and type(b) is not float:
        return exact(Fraction(a) % b)
    return _result(a % b)


def _mod_partials(args, out):
    """1 and -floor(a/b), from a - b*floor(a/b). The quotient is taken exactly, floats too (1.0/(1/3)
    rounds to 3.0, but the float 1/3 is a little under a third): where it is whole, a % b jumps
    along both arguments."""
    a, b = args
    q, r = divmod(Fraction(a), Fraction(b))
    if r == 0:
        raise Jump(f"mod jumps where a/b is a whole number ({brief(a)}/{brief(b)} = {brief(q)})")
    return 1, (-q if type(a) is not float and type(b) is not float else float(-q))


def _sympy_floor(sp, a):
    return _stepped(sp, "floor")(a)


def _sympy_ceil(sp, a):
    return _stepped(sp, "ceiling")(a)


def _sympy_mod(sp, a, b):
    """sympy's Mod by its definition, a - b*floor(a/b): sympy then differentiates it through floor,
    and a divisor that is 0 on some branch of a Piecewise gives zoo there (Mod itself raises)."""
    return a - b * _sympy_floor(sp, a / b)


@cache
def _stepped(sp: Any, name: str) -> Any:
    """sympy's floor or ceiling, which sympy does not differentiate (diff leaves a Derivative or Subs
    object, with no value at any point), with the derivative written out from the definition: 0
    where the argument is not whole, and no value where it is (a Piecewise without a last branch is
    nan there), so checks through these ops compare numbers, and a jump is never passed. Made once
    per function: sympy tells functions apart by class.

    Unevaluated: deciding Ne(a, floor(a)) for a symbolic a asks sympy's assumptions whether a is whole,
    which made node totals through four floors three times slower; at a point it evaluates anyway."""

    def fdiff(self, argindex=1):
        a = self.args[0]
        return sp.Piecewise((0, sp.Ne(a, sp.floor(a), evaluate=False)), evaluate=False)

    base = getattr(sp, name)
    return type(base.__name__, (base,), {"fdiff": fdiff, "__module__": __name__})


def _silu_slope(args, out):
    s = _sigmoid(args[0])
    return (s * (1 + args[0] * (1 - s)),)


def _normal_density(a):
    return math.exp(-a * a / 2) / math.sqrt(2 * math.pi)


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op(
            "add",
            (2, 2),
            _add,
            Constant(1, 1),
            lambda sp, a, b: a + b,
            "distributes",
            ("1", "1"),
            symbols=("+",),
            precedence=1,
            kernel=operator.add,
        ),
        Op(
            "sub",
            (2, 2),
            _sub,
            Constant(1, -1),
            lambda sp, a, b: a - b,
            "distributes, negates {1}",
            ("1", "-1"),
            symbols=("-",),
            precedence=1,
            kernel=operator.sub,
        ),
        Op(
            "mul",
            (2, 2),
            _mul,
            lambda a, out: (a[1], a[0]),
            lambda sp, a, b: a * b,
            "swaps",
            ("{1}", "{0}"),
            symbols=("*",),
            precedence=2,
            kernel=operator.mul,
        ),
        Op(
            "div",
            (2, 2),
            _div,
            lambda a, out: (_div(1, a[1]), _div(-out, a[1])),  # -a/b**2 as -(a/b)/b: b**2 may leave the float range
            lambda sp, a, b: a / b,
            "scales: 1/{1}, -{0}/{1}**2",
            ("1/{1}", "-{0}/{1}**2"),
            symbols=("/",),
            precedence=2,
        ),
        Op(
            "pos",
            (1, 1),
            lambda a: a,
            Constant(1),
            lambda sp, a: a,
            "passes",
            ("1",),
            symbols=("+",),
            precedence=3,
        ),
        Op(
            "neg",
            (1, 1),
            lambda a: -a,
            Constant(-1),
            lambda sp, a: -a,
            "negates",
            ("-1",),
            symbols=("-",),
            precedence=3,
        ),
        Op(
            "pow",
            (2, 2),
            _pow,
            _pow_partials,
            lambda sp, a, b: a**b,
            "scales: {1}*{0}**({1} - 1)",
            ("{1}*{0}**({1} - 1)", "{out}*log({0})"),
            symbols=("**", "^"),
            functions=("pow",),
            precedence=4,
            right_assoc=True,
        ),
        Op(
            "exp",
            (1, 1),
            math.exp,
            lambda a, out: (out,),
            lambda sp, a: sp.exp(a),
            "scales by exp({0})",
            ("{out}",),
            functions=("exp",),
        ),
        Op(
            "log",
            (1, 1),
            math.log,
            lambda a, out: (_div(1, a[0]),),
            lambda sp, a: sp.log(a),
            "scales by 1/{0}",
            ("1/{0}",),
            functions=("log",),
        ),
        Op(
            "sqrt",
            (1, 1),
            math.sqrt,
            lambda a, out: (0.5 / out,),
            lambda sp, a: sp.sqrt(a),
            "scales: 1/(2*sqrt({0}))",
            ("1/(2*{out})",),
            functions=("sqrt",),
        ),
        Op(
            "sin",
            (1, 1),
            math.sin,
            lambda a, out: (math.cos(a[0]),),
            lambda sp, a: sp.sin(a),
            "scales by cos({0})",
            ("cos({0})",),
            functions=("sin",),
        ),
        Op(
            "cos",
            (1, 1),
            math.cos,
            lambda a, out: (-math.sin(a[0]),),
            lambda sp, a: sp.cos(a),
            "scales by -sin({0})",
            ("-sin({0})",),
            functions=("cos",),
        ),
        Op(
            "tan",
            (1, 1),
            math.tan,
            lambda a, out: (1 + out * out,),
            lambda sp, a: sp.tan(a),
            "scales: 1 + {out}**2",
            ("1 + {out}**2",),
            functions=("tan",),
        ),
        Op(
            "tanh",
            (1, 1),
            math.tanh,
            _tanh_slope,
            lambda sp, a: sp.tanh(a),
            "scales: 1 - {out}**2",
            ("1 - {out}**2",),
            functions=("tanh",),
        ),
        Op(
            "sigmoid",
            (1, 1),
            _sigmoid,
            _sigmoid_slope,
            lambda sp, a: 1 / (1 + sp.exp(-a)),
            "scales: {out}*(1 - {out})",
            ("{out}*(1 - {out})",),
            functions=("sigmoid",),
        ),
        Op(
            "relu",
            (1, 1),
            _relu,
            lambda a, out: (1 if a[0] > 0 else 0,),
            lambda sp, a: sp.Max(0, a),
            "gates",
            ("(1 if {0} > 0 else 0)",),
            functions=("relu",),
            kink=_at_zero,
        ),
        Op(
            "abs",
            (1, 1),
            abs,
            lambda a, out: (_sign(a[0]),),
            lambda sp, a: sp.Abs(a),
            "passes with sign({0})",
            ("sign({0})",),
            functions=("abs",),
            kink=_at_zero,
        ),
        Op(
            "max",
            (2, 0),
            lambda *a: max(a),
            _extremum_partials,
            lambda sp, *a: sp.Max(*a),
            "routes",
            ("(1 if {i} is the largest else 0)",),
            functions=("max",),
            kink=_extremum_kinks,
        ),
        Op(
            "min",
            (2, 0),
            lambda *a: min(a),
            _extremum_partials,
            lambda sp, *a: sp.Min(*a),
            "routes",
            ("(1 if {i} is the smallest else 0)",),
            functions=("min",),
            kink=_extremum_kinks,
        ),
        Op(
            "sinh",
            (1, 1),
            math.sinh,
            lambda a, out: (math.cosh(a[0]),),
            lambda sp, a: sp.sinh(a),
            "scales by cosh({0})",
            ("cosh({0})",),
            functions=("sinh",),
        ),
        Op(
            "cosh",
            (1, 1),
            math.cosh,
            lambda a, out: (math.sinh(a[0]),),
            lambda sp, a: sp.cosh(a),
            "scales by sinh({0})",
            ("sinh({0})",),
            functions=("cosh",),
        ),
        Op(
            "asin",
            (1, 1),
            math.asin,
            lambda a, out: (1 / math.sqrt(1 - a[0] * a[0]),),  # 1/0.0 raises at |a| = 1: no finite slope
            lambda sp, a: sp.asin(a),
            "scales: 1/sqrt(1 - {0}**2)",
            ("1/sqrt(1 - {0}**2)",),
            functions=("asin",),
        ),
        Op(
            "acos",
            (1, 1),
            math.acos,
            lambda a, out: (-1 / math.sqrt(1 - a[0] * a[0]),),
            lambda sp, a: sp.acos(a),
            "scales: -1/sqrt(1 - {0}**2)",
            ("-1/sqrt(1 - {0}**2)",),
            functions=("acos",),
        ),
        Op(
            "atan",
            (1, 1),
            math.atan,
            lambda a, out: (_div(1, 1 + a[0] * a[0]),),
            lambda sp, a: sp.atan(a),
            "scales: 1/(1 + {0}**2)",
            ("1/(1 + {0}**2)",),
            functions=("atan",),
        ),
        Op(
            "atan2",
            (2, 2),
            math.atan2,
            _atan2_partials,
            lambda sp, y, x: sp.atan2(y, x),
            "scales: {1}/({0}**2 + {1}**2), -{0}/({0}**2 + {1}**2)",
            ("{1}/({0}**2 + {1}**2)", "-{0}/({0}**2 + {1}**2)"),
            functions=("atan2",),
        ),
        Op(
            "log2",
            (1, 1),
            math.log2,
            lambda a, out: (1 / (a[0] * math.log(2)),),
            lambda sp, a: sp.log(a) / sp.log(2),
            "scales by 1/({0}*log(2))",
            ("1/({0}*log(2))",),
            functions=("log2",),
        ),
        Op(
            "log10",
            (1, 1),
            math.log10,
            lambda a, out: (1 / (a[0] * math.log(10)),),
            lambda sp, a: sp.log(a) / sp.log(10),
            "scales by 1/({0}*log(10))",
            ("1/({0}*log(10))",),
            functions=("log10",),
        ),
        Op(
            "log1p",
            (1, 1),
            math.log1p,
            lambda a, out: (_div(1, 1 + a[0]),),
            lambda sp, a: sp.log(1 + a),
            "scales by 1/(1 + {0})",
            ("1/(1 + {0})",),
            functions=("log1p",),
        ),
        Op(
            "expm1",
            (1, 1),
            math.expm1,
            lambda a, out: (math.exp(a[0]),),
            lambda sp, a: sp.exp(a) - 1,
            "scales by exp({0})",
            ("exp({0})",),
            functions=("expm1",),
        ),
        Op(
            "exp2",
            (1, 1),
            lambda a: math.pow(2, a),
            lambda a, out: (out * math.log(2),),
            lambda sp, a: 2**a,
            "scales by {out}*log(2)",
            ("{out}*log(2)",),
            functions=("exp2",),
        ),
        Op(
            "cbrt",
            (1, 1),
            math.cbrt,
            lambda a, out: (1 / (3 * out * out),),  # 1/0.0 raises at 0: the slope is infinite
            lambda sp, a: sp.Piecewise((a ** sp.Rational(1, 3), a >= 0), (-((-a) ** sp.Rational(1, 3)), True)),
            "scales: 1/(3*{out}**2)",
            ("1/(3*{out}**2)",),
            functions=("cbrt",),
        ),
        Op(
            "sign",
            (1, 1),
            _sign,
            _sign_partials,
            lambda sp, a: sp.Piecewise((1, a > 0), (-1, a < 0), (0, True)),
            "blocks: its slope is 0 (and it jumps at 0)",
            ("0",),
            functions=("sign",),
        ),
        Op(
            "floor",
            (1, 1),
            _floor,
            _steps("floor"),
            _sympy_floor,
            "blocks: its slope is 0 (it jumps at whole numbers)",
            ("0",),
            functions=("floor",),
        ),
        Op(
            "ceil",
            (1, 1),
            _ceil,
            _steps("ceil"),
            _sympy_ceil,
            "blocks: its slope is 0 (it jumps at whole numbers)",
            ("0",),
            functions=("ceil",),
        ),
        Op(
            "mod",
            (2, 2),
            _mod,
            _mod_partials,
            _sympy_mod,
            "passes, scales {1} by -floor({0}/{1}) (jumps where {0}/{1} is whole)",
            ("1", "-floor({0}/{1})"),
            symbols=("%",),
            functions=("mod",),
            precedence=2,
        ),
        Op(
            "softplus",
            (1, 1),
            lambda a: max(a, 0) + math.log1p(math.exp(-abs(a))),  # log(1 + exp(a)) without overflow
            lambda a, out: (_sigmoid(a[0]),),
            lambda sp, a: sp.log(1 + sp.exp(a)),
            "scales by sigmoid({0})",
            ("sigmoid({0})",),
            functions=("softplus",),
        ),
        Op(
            "leaky_relu",
            (2, 2),
            lambda a, s: a if a > 0 else _mul(s, a),
            lambda a, out: (1, 0) if a[0] > 0 else (a[1], a[0]),
            lambda sp, a, s: sp.Piecewise((a, a > 0), (s * a, True)),
            "gates, leaking {1} below 0",
            ("(1 if {0} > 0 else {1})", "min({0}, 0)"),
            functions=("leaky_relu",),
            kink=lambda a, out: (a[0] == 0 and a[1] != 1, False),
        ),
        Op(
            "elu",
            (1, 1),
            lambda a: a if a > 0 else math.expm1(a),
            lambda a, out: (1 if a[0] > 0 else math.exp(a[0]),),  # both sides give 1 at 0: no kink
            lambda sp, a: sp.Piecewise((a, a > 0), (sp.exp(a) - 1, True)),
            "passes above 0, scales by exp({0}) below",
            ("min(exp({0}), 1)",),
            functions=("elu",),
        ),
        Op(
            "silu",
            (1, 1),
            lambda a: a * _sigmoid(a),
            _silu_slope,
            lambda sp, a: a / (1 + sp.exp(-a)),
            "scales: sigmoid({0})*(1 + {0}*(1 - sigmoid({0})))",
            ("sigmoid({0})*(1 + {0}*(1 - sigmoid({0})))",),
            functions=("silu",),
        ),
        Op(
            "gelu",
            (1, 1),
            lambda a: 0.5 * a * (1 + math.erf(a / math.sqrt(2))),
            lambda a, out: (0.5 * (1 + math.erf(a[0] / math.sqrt(2))) + a[0] * _normal_density(a[0]),),
            lambda sp, a: a / 2 * (1 + sp.erf(a / sp.sqrt(2))),
            "scales: Phi({0}) + {0}*phi({0})",
            ("(1 + erf({0}/sqrt(2)))/2 + {0}*exp(-{0}**2/2)/sqrt(2*pi)",),
            functions=("gelu",),
        ),
        Op(
            "erf",
            (1, 1),
            math.erf,
            lambda a, out: (2 / math.sqrt(math.pi) * math.exp(-a[0] * a[0]),),
            lambda sp, a: sp.erf(a),
            "scales: 2/sqrt(pi)*exp(-{0}**2)",
            ("2/sqrt(pi)*exp(-{0}**2)",),
            functions=("erf",),
        ),
    )
}

# Layer activations of `backprop mlp`: the ops a network layer may apply unit by unit, each with
# its derivative written for the matrix route as a function of z and a = op(z), so the layer
# formulas do not borrow the node engine's partials. relu takes 0 at z = 0, the same
# minimum-norm subgradient as the engine. A layer may also be "identity" (a = z), not an op.
# The first row is the command's default activation.
# sigmoid and tanh take 1 - a from z (sigmoid(-z), and sech(z)**2 for 1 - a**2): once a rounds to
# 1, 1 - a is no longer a number's last digits but nothing.
ACTIVATIONS: dict[str, Callable[[Number, Number], Number]] = {
    "sigmoid": lambda z, a: _mul(a, _sigmoid(-z)),
    "tanh": lambda z, a: _sech_squared(z),
    "relu": lambda z, a: 1 if z > 0 else 0,
}
# The op binary cross-entropy applies to the outputs: -(t log a + (1 - t) log(1 - a)).
CROSS_ENTROPY_LOG = OPS["log"]

# Spellings from other languages, for the hint on an unknown function.
SPELLINGS: dict[str, str] = {
    "ln": "log",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "swish": "silu",
    "ceiling": "ceil",
}

BINARY: dict[str, Op] = {s: op for op in OPS.values() if op.arity == (2, 2) for s in op.symbols}
UNARY: dict[str, Op] = {s: op for op in OPS.values() if op.arity == (1, 1) for s in op.symbols}
FUNCTIONS: dict[str, Op] = {f: op for op in OPS.values() for f in op.functions}


def accepts(op: Op, count: int) -> bool:
    least, most = op.arity
    return count >= least and (most == 0 or count <= most)


def arity_text(op: Op) -> str:
    least, most = op.arity
    if most == 0:
        return f"{least} or more arguments"
    return f"{least} argument" + ("" if least == 1 else "s")


def show(v: Number) -> str:
    """A number as the user should read it: exact values as 3 or 1/3, floats in shortest repr."""
    if type(v) is float:
        return repr(v) if v == v else "nan"
    return str(v)


def brief(v: Number, limit: int = 40) -> str:
    """A number for an error message: an exact value may have a thousand digits."""
    text = show(v)
    return text if len(text) <= limit else f"{text[:16]}...{text[-4:]} ({len(text)} characters)"


def failure(op: Op, args: tuple, exc: Exception) -> str:
    """Why a forward or local-gradient rule has no value here, in words."""
    shown = ", ".join(brief(a) for a in args)
    if isinstance(exc, OverflowError):
        return f"{op.name}({shown}) overflows: the result is too large for a float"
    if isinstance(exc, ZeroDivisionError):
        return f"{op.name}({shown}) divides by zero"
    return f"{op.name}({shown}) is undefined (outside its domain)"
