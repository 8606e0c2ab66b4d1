"""Properties over random programs built from every op in the table, and over random text and bytes.

Gradients: the hand-written backward pass equals sympy's derivative of the same expression and a
central finite difference, away from kinks, jumps and domain edges. Robustness: nothing that reaches the
CLI, however random, gets a traceback, and a correct program is never reported as failing.

CI runs a few examples of each; BACKPROP_LONG_PROPERTIES=1 runs the long version (see docs/limits.md).
"""

from __future__ import annotations

import math
import os
import re
import sys
from fractions import Fraction
from itertools import product

import sympy
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from backpropcli.autodiff import forward
from backpropcli.errors import EvalError
from backpropcli.ops import OPS, Jump, Number, Op, failure
from backpropcli.parse import parse
from backpropcli.pipeline import analyze

LONG = os.environ.get("BACKPROP_LONG_PROPERTIES") == "1"


def examples(ci: int, long: int):
    return settings(
        max_examples=long if LONG else ci,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
    )


INPUTS = ("x", "y", "z")
OP_NAMES = sorted(OPS)


def spellings(op: Op) -> list[str]:
    """Every way the language writes this op, as format strings over its arguments."""
    if op.arity == (2, 2):
        forms = [f"{{0}} {s} {{1}}" for s in op.symbols]
    elif op.arity == (1, 1):
        forms = [f"{s}{{0}}" for s in op.symbols]
    else:
        forms = []
    return forms + [f"{fn}({{args}})" for fn in op.functions]


def spell(gate: tuple, names: list[str]) -> str:
    name, args, form = gate
    template = spellings(OPS[name])[form]
    shown = [names[a] for a in args]
    return template.format(*shown, args=", ".join(shown))


# Exact eighths (ties and zeros happen exactly) and any finite float in range, subnormals included.
VALUES = st.one_of(
    st.integers(-24, 24).map(lambda k: Fraction(k, 8)), st.floats(-3, 3, allow_nan=False, allow_infinity=False)
)
# Values as people write them: eighths, and decimals with three places.
WRITTEN = st.one_of(
    st.integers(-24, 24).map(lambda k: Fraction(k, 8)), st.integers(-3000, 3000).map(lambda k: k / 1000)
)


@st.composite
def programs(draw, max_gates: int = 6, values=VALUES) -> tuple[list[tuple], dict[str, Number]]:
    """Gates over earlier nodes (inputs are nodes 0..2), each spelled one of its ways, and a point."""
    gates = []
    for g in range(draw(st.integers(1, max_gates))):
        name = draw(st.sampled_from(OP_NAMES))
        least, most = OPS[name].arity
        count = draw(st.integers(least, most or least + 2))
        args = tuple(draw(st.integers(0, len(INPUTS) + g - 1)) for _ in range(count))
        gates.append((name, args, draw(st.integers(0, len(spellings(OPS[name])) - 1))))
    point = {}
    for v in INPUTS:
        value = draw(values)
        point[v] = value.numerator if type(value) is Fraction and value.denominator == 1 else value
    return gates, point


def program_text(gates: list[tuple]) -> str:
    names = list(INPUTS) + [f"t{g}" for g in range(len(gates))]
    return "".join(f"t{g} = {spell(gate, names)}\n" for g, gate in enumerate(gates))


def inline_text(gates: list[tuple]) -> str:
    """The same computation as one expression: every gate written out where it is used."""
    texts = list(INPUTS)
    for gate in gates:
        texts.append(f"({spell(gate, texts)})")
    return texts[-1]


def used_inputs(gates: list[tuple]) -> list[str]:
    return [v for i, v in enumerate(INPUTS) if any(i in args for _, args, _ in gates)]


def live_inputs(gates: list[tuple]) -> list[str]:
    """Inputs the output depends on: the only ones its inlined expression still names."""
    live = {len(INPUTS) + len(gates) - 1}
    for g in range(len(gates) - 1, -1, -1):
        if len(INPUTS) + g in live:
            live.update(gates[g][1])
    return [v for i, v in enumerate(INPUTS) if i in live]


def sympy_gradients(gates: list[tuple], point: dict[str, Number], used: list[str]) -> dict[str, float | None]:
    """sympy's own derivative of the composed expression, evaluated at the point in floats."""
    syms = {v: sympy.Symbol(v, real=True) for v in INPUTS}
    exprs = [syms[v] for v in INPUTS]
    for name, args, _ in gates:
        exprs.append(OPS[name].sympy(sympy, *[exprs[a] for a in args]))
    at = {syms[v]: sympy.Float(float(point[v])) for v in INPUTS}
    found = {}
    for v in used:
        try:
            value = complex(sympy.diff(exprs[-1], syms[v]).xreplace(at).evalf(30))
        except (TypeError, ValueError):
            value = complex(math.nan)
        real = abs(value.imag) <= 1e-12 * max(1.0, abs(value.real)) and math.isfinite(value.real)
        found[v] = value.real if real else None
    return found


def near_kink(report) -> bool:
    """A kink-capable gate within rounding of its switch: float evaluations may take either branch."""
    graph, values = report.graph, report.values
    for i, node in enumerate(graph.nodes):
        rule = OPS[node.op].kink if node.op in OPS else None
        if rule is not None and report.back.partials[i] is not None:
            args = tuple(round(float(values[a]), 6) for a in node.args)
            if any(rule(args, round(float(values[i]), 6))):
                return True
    return False


def _jumps(op: Op) -> bool:
    """Does the op's own rule say it jumps somewhere on a small grid (sign at 0, floor at 1)?"""
    for point in product((-1, 0, 1, 2), repeat=op.arity[0]):
        try:
            op.partials(point, op.forward(*point))
        except Jump:
            return True
        except (ArithmeticError, ValueError):
            continue
    return False


JUMPING = frozenset(name for name, op in OPS.items() if _jumps(op))


def crosses_jump(report, bindings: dict[str, Number], name: str, h: float) -> bool:
    """A gate that can jump changes over [x - h, x + h] by more than its slopes account for: a jump
    lies within the step (x % y jumps every 1e-12 at y = 1e-12), and no difference is a slope. Such
    gates are linear between their jumps, so within one piece the slopes account for all but rounding."""
    graph, values = report.graph, report.values
    x = float(bindings[name])
    down, up = (forward(graph, {**bindings, name: x + k * h}) for k in (-1, 1))
    for i, node in enumerate(graph.nodes):
        locs = report.back.partials[i]
        if node.op not in JUMPING or locs is None:
            continue
        change = float(up[i]) - float(down[i])
        moves = [float(up[a]) - float(down[a]) for a in node.args]
        sizes = abs(float(values[i])) + sum(abs(float(values[a])) for a in node.args)
        if abs(change - sum(float(local) * m for local, m in zip(locs, moves, strict=True))) > 1e-12 * sizes:
            return True
    return False


def magnitudes(report) -> dict[str, float]:
    """Sum over paths of |products of local gradients| per input: the size of what the backward pass
    adds up. Rounding error is relative to this, not to the result (d(y/y)/dy sums 1/y and -1/y)."""
    nodes, partials = report.graph.nodes, report.back.partials
    total = [0.0] * len(nodes)
    total[report.graph.output] = 1.0
    for i in range(len(nodes) - 1, -1, -1):
        if partials[i] is not None:
            for a, local in zip(nodes[i].args, partials[i], strict=True):
                total[a] += total[i] * abs(float(local))
    return {nodes[i].name: total[i] for i in report.graph.inputs}


def differences(report, bindings: dict[str, Number], name: str) -> tuple[float, ...] | None:
    """Forward, backward and central differences along one input, a central difference with a
    quarter of the step, and the step: None off the domain.

    The step follows the input's own scale, so a tiny input is not stepped across zero or a pole;
    zero and subnormal inputs, which have no scale of their own, get the step of 1.
    """
    x = float(bindings[name])
    h = 1e-6 * (abs(x) if abs(x) >= sys.float_info.min else 1.0)
    try:
        down, fine_down, mid, fine_up, up = (
            float(forward(report.graph, {**bindings, name: x + k * h})[report.graph.output])
            for k in (-1, -0.25, 0, 0.25, 1)
        )
    except EvalError:
        return None
    return (up - mid) / h, (mid - down) / h, (up - down) / (2 * h), (fine_up - fine_down) / (h / 2), h


def analyzed(text: str, bindings: dict[str, Number]):
    """The report, or a rejected example when the point is outside some op's domain."""
    try:
        report = analyze(text, bindings, check=False)
    except EvalError:
        assume(False)
    assume(all(abs(float(v)) < 1e6 for v in report.values))
    return report


def underflowed(report) -> bool:
    """Some gate's float value is zero or subnormal where its op's exact value at the same arguments
    is not: float underflow changed the value (x*x = 0 at x = 1.1125e-308)."""
    graph, values = report.graph, report.values
    for node, value in zip(graph.nodes, values, strict=True):
        if node.op in OPS and type(value) is float and abs(value) < sys.float_info.min:
            exact = OPS[node.op].sympy(sympy, *(sympy.Float(float(values[a]), 30) for a in node.args)).evalf(30)
            if exact.is_real and abs(exact - value) > abs(exact) / 1000:  # sympy's numbers: no underflow
                return True
    return False


def assert_underflow_is_reported(text: str, bindings: dict[str, Number], name: str, pair: tuple) -> None:
    """What docs/limits.md promises where float underflow changes a value: the backward pass is the chain
    rule over the values computed, which then differs from the derivative of the exact expression, and
    the cross-check reports exactly that as a failed check of the input's gradient (exit 1), never a pass."""
    report = analyze(text, bindings, check=False)
    assert underflowed(report), (name, *pair)
    checked = analyze(text, bindings)
    assert checked.checks.nodes[checked.graph.ids[name]].status == "fail", (name, *pair)
    assert not checked.ok


@examples(ci=120, long=20_000)
@given(programs())
# x*x underflows to 0 at x = 1.1125e-308: the engine's 3 against sympy's 2, reported as a failure
@example(([("mul", (0, 0), 0), ("div", (3, 0), 0), ("add", (0, 4), 0)], {"x": 1.1125e-308, "y": 0, "z": 0}))
# tan(y/x) at x = 1e-12: a slope of 1e12, where a step of 1e-6 in y is far too coarse
@example(([("div", (1, 0), 0), ("abs", (0,), 0), ("tan", (3,), 0)], {"x": 1e-12, "y": 0, "z": 0}))
# acos(x) % x at x = 1e-12: a step of 1e-18 in x crosses a million jumps, and no difference is a slope
@example(([("acos", (0,), 0), ("mod", (3, 0), 0)], {"x": 1e-12, "y": 0, "z": 0}))
# floor(x) just below 1: the step crosses the jump
@example(([("floor", (0,), 0), ("mul", (3, 0), 0)], {"x": 0.9999999999, "y": 0, "z": 0}))
# sqrt(x - x) at 0: sqrt has no slope at 0, on a path that does not move with x
@example(([("sub", (0, 0), 0), ("sqrt", (3,), 0)], {"x": 0, "y": 0, "z": 0}))
# abs(z ** floor(z)) at z = -1/8: no slope along the exponent (log of -1/8), on a path floor makes flat
@example(([("floor", (2,), 0), ("pow", (2, 3), 0), ("abs", (4,), 0)], {"x": 0, "y": 0, "z": Fraction(-1, 8)}))
def test_gradients_equal_sympy_and_finite_differences(program):
    gates, point = program
    used = used_inputs(gates)
    bindings = {v: point[v] for v in used}
    report = analyzed(program_text(gates), bindings)
    assume(not report.back.kinks and not near_kink(report))
    theirs = sympy_gradients(gates, point, used)
    scale = max(1.0, abs(float(report.value)))
    size = magnitudes(report)
    for v in used:
        ours = float(report.gradients[v])
        if ours != ours:  # undefined: a slope on its way does not exist; the reason is given
            assert report.missing, v
            assert_no_slope_is_found(report, bindings, v)
            continue
        assume(theirs[v] is not None)
        rounding = 1e-12 * max(1.0, size[v])
        if not math.isclose(ours, theirs[v], rel_tol=1e-6, abs_tol=max(1e-9 * scale, rounding)):
            assert_underflow_is_reported(program_text(gates), bindings, v, (ours, theirs[v]))
            continue
        found = differences(report, bindings, v)
        assume(found is not None)
        ahead, behind, central, fine, h = found
        assume(not crosses_jump(report, bindings, v, h))
        cancellation = 1e-9 * scale / h  # f(x + h) - f(x - h) loses the digits f and h have in common
        # one-sided slopes that disagree: a kink or a pole within a step, where no difference is a slope
        assume(math.isclose(ahead, behind, rel_tol=1e-2, abs_tol=cancellation))
        # a step too coarse for the function (tan(y/x) at x = 1e-12 swings wildly within it)
        # changes the difference when the step shrinks: then no difference is a slope either
        assume(math.isclose(central, fine, rel_tol=1e-3, abs_tol=4 * cancellation))
        assert math.isclose(ours, central, rel_tol=1e-4, abs_tol=max(cancellation, rounding)), (v, ours, central)


def flat_where_missing(report, bindings: dict, v: str, h: float) -> bool:
    """Some local slope that does not exist sits on an argument whose value does not move with v over
    the differences' steps: the path through it carries nothing, which only the whole function shows."""
    graph, back = report.graph, report.back
    x = float(bindings[v])
    for gate, locs in enumerate(back.partials):
        for pos, local in enumerate(locs or ()):
            if type(local) is float and math.isnan(local):
                arg = graph.nodes[gate].args[pos]
                try:
                    seen = {forward(graph, {**bindings, v: x + k * h})[arg] for k in (-1, -0.25, 0.25, 1)}
                except EvalError:
                    continue
                if seen == {report.values[arg]}:
                    return True
    return False


def assert_no_slope_is_found(report, bindings: dict, v: str) -> None:
    """Where the gradient is undefined, finite differences find no slope either: none can be taken, the
    one-sided ones disagree, or the central one changes as the step shrinks (sign(x) at 0: 1/h).
    The one exception is gate by gate, as docs/limits.md says: a missing slope on a path that does not
    move with the input (sqrt(x - x) at 0, where x - x is 0 for every x; z ** floor(z) at z = -1/8,
    whose slope along the exponent, z ** n * log(z), does not exist, on a path floor makes flat) still
    leaves the gradient undefined, while the differences of the whole function find its slope."""
    found = differences(report, bindings, v)
    if found is None:
        return
    ahead, behind, central, fine, h = found
    if ahead == behind == central == fine == 0 or flat_where_missing(report, bindings, v, h):
        return
    agreed = math.isclose(ahead, behind, rel_tol=1e-2) and math.isclose(central, fine, rel_tol=1e-3)
    assert not agreed, (v, ahead, behind, central, fine)


@examples(ci=80, long=5_000)
@given(programs(max_gates=5))
def test_a_program_and_its_inlined_expression_agree(program):
    gates, point = program
    live = live_inputs(gates)
    inline = inline_text(gates)
    assume(len(inline) < 20_000)
    as_program = analyzed(program_text(gates), {v: point[v] for v in used_inputs(gates)})
    as_expression = analyze(inline, {v: point[v] for v in live}, check=False)
    assert as_expression.value == as_program.value
    size = magnitudes(as_program)
    for v in live:
        a, b = float(as_program.gradients[v]), float(as_expression.gradients[v])
        if a != a or b != b:  # a slope on the way does not exist: in both forms, or in neither
            assert a != a and b != b, (v, a, b)
            continue
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12 * max(1.0, size[v])), (v, a, b)


# Values at the edges of the exact and float ranges, beside the ordinary ones: sums, differences and
# products of these overflow a float or pass the exact limit.
EDGES = st.one_of(
    VALUES,
    st.sampled_from([1e308, -1e308, 1e200, 5e-324, 2**4095, -(2**4095), 2**2048 + 1, Fraction(2**4000, 3)]),
)


def by_rows(graph, point: dict[str, Number]) -> list[Number] | tuple[int, str]:
    """Every node's value from its row's own forward rule, called gate by gate; or the first gate
    whose rule raises or gives an inf or a nan, with the error's words."""
    values: list = [
        point.get(name, given) for name, given in zip(graph.columns.names, graph.columns.given, strict=True)
    ]
    for i, node in enumerate(graph.nodes):
        if not node.args:
            continue
        args = tuple(values[a] for a in node.args)
        try:
            v = OPS[node.op].forward(*args)
            if type(v) is float and not math.isfinite(v):
                raise OverflowError
        except (ArithmeticError, ValueError) as exc:
            return i, failure(OPS[node.op], args, exc)
        values[i] = v
    return values


@examples(ci=150, long=20_000)
@given(programs(max_gates=6, values=EDGES))
@example(([("add", (0, 0), 0), ("sin", (3,), 0)], {"x": 1e308, "y": 0, "z": 0}))
@example(([("mul", (0, 0), 0), ("mul", (3, 3), 0)], {"x": 2**2048 + 1, "y": 0, "z": 0}))
def test_the_forward_pass_gives_each_gate_its_rows_value_or_the_first_gates_error(program):
    # the forward pass checks results itself where a row has a kernel (add's operator.add): the
    # rows' own forward rules, which check each result, are the oracle
    gates, point = program
    graph = parse(program_text(gates))
    expected = by_rows(graph, point)
    try:
        values = forward(graph, point)
    except EvalError as caught:
        assert type(expected) is tuple, caught.message
        gate, message = expected
        assert (caught.message, caught.where) == (
            message,
            graph.source.locate(graph.columns.starts[gate], graph.columns.ends[gate]),
        )
        return
    assert type(expected) is list
    assert values == expected
    assert list(map(type, values)) == list(map(type, expected))


def program_with_inputs(gates: list[tuple], point: dict[str, Number]) -> str:
    lines = [f"{v} = {point[v]!r}" if type(point[v]) is float else f"{v} = {point[v]}" for v in used_inputs(gates)]
    return "\n".join(lines) + "\n" + program_text(gates)


@examples(ci=40, long=2_000)
@given(programs(max_gates=4, values=WRITTEN))
def test_a_correct_program_never_fails_the_check(cli, program):
    """Kinks included: exit 0, or exit 2 exactly when the point is outside a domain; never exit 1."""
    gates, point = program
    text = program_with_inputs(gates, point)
    try:  # the engine's own verdict on the point, taken in process: the CLI must show exactly that
        analyze(text, path="<stdin>", check=False)
        expected = (0, "")
    except EvalError as exc:
        expected = (2, exc.render() + "\n")
    result = cli("eval", "-", "--format", "json", "--budget", "10", stdin=text)
    assert (result.code, result.err) == expected, result


# Random text and random bytes: any outcome but a traceback or the internal-error safety net.

TOKENS = [
    "x",
    "y",
    "z",
    "w",
    "f",
    "t1",
    "dfdx",
    "pi",
    "e",
    "0",
    "1",
    "2.5",
    "1e3",
    "9",
    "0.0",
    " ",
    "\t",
    "\n",
    "\r\n",
    ";",
    "#",
    "\\\n",
    "=",
    "+",
    "-",
    "*",
    "/",
    "**",
    "^",
    "(",
    ")",
    ",",
    ".",
    "'",
    "[",
    ":",
    "@",
    "\u00e9",
    "\x00",
    "\ufeff",
] + [f"{fn}(" for fn in sorted({f for op in OPS.values() for f in op.functions})]
NAME_WORD = re.compile(r"(?<![A-Za-z0-9_])([xyzw])(?![A-Za-z0-9_])")


def assert_no_traceback(result) -> None:
    assert result.code in (0, 1, 2), result
    assert "Traceback" not in result.err and "internal error" not in result.err, result
    if result.code == 2:
        assert result.err.startswith("error: "), result


@examples(ci=150, long=20_000)
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join), st.text(max_size=60)))
def test_random_text_never_gets_a_traceback(cli, text):
    bindings = [f"{name}=0.5" for name in sorted(set(NAME_WORD.findall(text)))]
    assert_no_traceback(cli("eval", "--no-check", "--", text, *bindings))


@examples(ci=150, long=20_000)
@given(st.binary(max_size=200))
def test_random_bytes_on_stdin_never_get_a_traceback(cli, data):
    assert_no_traceback(cli("eval", "-", "--no-check", stdin=data))
