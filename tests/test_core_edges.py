"""Edges of the core that the main test modules pass by: forward mode with given partials, and the
rarely taken branches of the op table, the backward pass and the cross-check. Each expected number
is worked out by hand or by sympy, never read back from the code under test."""

from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction

import pytest

from backpropcli.autodiff import backward, forward, tangent
from backpropcli.crosscheck import crosscheck, local
from backpropcli.crosscheck.state import Found
from backpropcli.parse import parse


def _pass(text: str, **point):
    graph = parse(text)
    values = forward(graph, point)
    return graph, values, backward(graph, values)


def test_forward_mode_gives_each_input_its_gradient_and_the_size_of_its_paths():
    # f = x*y + sin(x) at x = 2, y = 3: df/dx = y + cos(x), df/dy = x; the paths from x are
    # y (through the product) and cos(x) (through sin), so their |products| add to 3 + |cos 2|
    graph, _, back = _pass("f = x*y + sin(x)", x=2.0, y=3.0)
    x, y = (graph.ids[name] for name in "xy")
    value, size = tangent(graph, list(back.partials), x)
    assert value == pytest.approx(3 + math.cos(2.0)) and size == pytest.approx(3 + abs(math.cos(2.0)))
    assert tangent(graph, list(back.partials), y) == pytest.approx((2.0, 2.0))
    # one gate, one path each: f = x*y at x = 2, y = -3 gives df/dx = -3 over a path of size 3
    graph, _, back = _pass("f = x*y", x=2.0, y=-3.0)
    assert tangent(graph, list(back.partials), graph.ids["x"]) == (-3.0, 3.0)
    assert tangent(graph, list(back.partials), graph.ids["y"]) == (2.0, 2.0)


def test_forward_mode_from_an_input_that_does_not_reach_the_output():
    graph = parse("y = 4.0\na = x * 2\nb = a + y\n", output="a")
    back = backward(graph, forward(graph, {"x": 1.0}))
    assert tangent(graph, list(back.partials), graph.ids["y"]) == (0.0, 0.0)


def test_forward_mode_without_a_partial_on_the_way_has_no_value():
    graph, _, back = _pass("f = sin(x) * y", x=1.0, y=2.0)
    partials = list(back.partials)
    partials[graph.output] = (None, math.sin(1.0))  # the product's partial along sin(x) is unknown
    assert tangent(graph, partials, graph.ids["x"]) == (None, 0.0)
    assert tangent(graph, partials, graph.ids["y"]) == pytest.approx((math.sin(1.0), math.sin(1.0)))


def test_forward_mode_needs_a_partial_only_where_the_seed_reaches_its_argument():
    # f = x*y at x = 2, y = -3: df/dx = y along the first argument, df/dy = x along the second
    graph, _, back = _pass("f = x*y", x=2.0, y=-3.0)
    x, y, out = graph.ids["x"], graph.ids["y"], graph.output
    partials = list(back.partials)
    partials[out] = (-3.0, None)  # the partial along y unknown: x's path does not cross it
    assert tangent(graph, partials, x) == (-3.0, 3.0)
    assert tangent(graph, partials, y) == (None, 0.0)
    partials[out] = (None, 2.0)
    assert tangent(graph, partials, x) == (None, 0.0)
    assert tangent(graph, partials, y) == (2.0, 2.0)
    # f = x*x at x = 3: both arguments on the seed's paths, 3 + 3 over two paths of size 3
    graph, _, back = _pass("f = x*x", x=3.0)
    partials = list(back.partials)
    assert tangent(graph, partials, graph.ids["x"]) == (6.0, 6.0)
    partials[graph.output] = (3.0, None)
    assert tangent(graph, partials, graph.ids["x"]) == (None, 0.0)
    # one argument: sin(x) without its partial
    graph, _, back = _pass("f = sin(x)", x=1.0)
    partials = list(back.partials)
    partials[graph.output] = (None,)
    assert tangent(graph, partials, graph.ids["x"]) == (None, 0.0)
    # three arguments: max(x, y, z) at (1, 2, 5) routes to z; x's slope is 0 over a path of size 0
    graph, _, back = _pass("f = max(x, y, z)", x=1.0, y=2.0, z=5.0)
    partials = list(back.partials)
    assert tangent(graph, partials, graph.ids["z"]) == (1.0, 1.0)
    assert tangent(graph, partials, graph.ids["x"]) == (0.0, 0.0)
    partials[graph.output] = (0.0, 0.0, None)  # z's partial unknown: x's path does not cross it
    assert tangent(graph, partials, graph.ids["x"]) == (0.0, 0.0)
    assert tangent(graph, partials, graph.ids["z"]) == (None, 0.0)


def test_forward_mode_adds_every_argument_of_a_gate_of_many_on_the_seeds_paths():
    # t = 3x feeds a max of three twice; with the max's partials set to 2, 3 and 0 by hand, d f/d x of
    # f = 2 * max(t, t, y) is 2 * (2 * 3 + 3 * 3) = 30, over paths of the same size
    graph, _, back = _pass("t = x*3\nf = max(t, t, y) * 2", x=1.0, y=0.0)
    partials = list(back.partials)
    partials[graph.nodes[graph.output].args[0]] = (2.0, 3.0, 0.0)
    assert tangent(graph, partials, graph.ids["x"]) == (30.0, 30.0)


def test_forward_mode_from_the_output_itself_and_from_past_it():
    # f = x: the output is its own seed, d f/d f = 1 over one path of size 1
    graph, _, back = _pass("f = x", x=5.0)
    assert tangent(graph, list(back.partials), graph.output) == (1.0, 1.0)
    # an input defined after the output cannot change it
    graph = parse("a = x * 2\nb = y * 3\n", output="a")
    back = backward(graph, forward(graph, {"x": 1.0, "y": 1.0}))
    assert tangent(graph, list(back.partials), graph.ids["y"]) == (0.0, 0.0)


def test_a_missing_input_is_named_and_a_given_one_is_not():
    from backpropcli.errors import InputError

    graph = parse("w = 5\nf = w * x * y")
    with pytest.raises(InputError) as caught:
        forward(graph, {"y": 1})
    assert caught.value.message == "no value for x (bind with name=value)"


def test_magnitude_keeps_the_kind_of_number():
    from fractions import Fraction

    from backpropcli.ops import magnitude

    found = [magnitude(v) for v in (-3, Fraction(-1, 3), -2.5, 4)]
    assert found == [3, Fraction(1, 3), 2.5, 4]
    assert [type(v) for v in found] == [int, Fraction, float, int]


@pytest.mark.parametrize("z", [-3.0, -0.5, 0.0, 0.25, 2.0, 20.0])
def test_the_tanh_layer_slope_is_one_minus_tanh_squared(z):
    import mpmath

    from backpropcli.ops import ACTIVATIONS

    truth = float(1 - mpmath.tanh(mpmath.mpf(z)) ** 2)
    assert ACTIVATIONS["tanh"](z, math.tanh(z)) == pytest.approx(truth, rel=1e-12)


def test_the_tanh_layer_slope_far_out_is_zero_not_an_overflow():
    from backpropcli.ops import ACTIVATIONS

    # sech(800)**2 is about 4 exp(-1600): far below the smallest float
    assert ACTIVATIONS["tanh"](800.0, 1.0) == 0.0
    assert ACTIVATIONS["tanh"](-800.0, -1.0) == 0.0


def test_forward_mode_lanes_through_a_gate_of_three_arguments():
    from backpropcli.crosscheck.totals import _lanes

    # f = max(2x, y*y, z) at x = 1, y = 3, z = 9: y*y and z tie at 9 and share the slope, 1/2 each;
    # by hand df/dx = 0, df/dy = 1/2 * 2y = 3, df/dz = 1/2
    graph, _, back = _pass("f = max(2*x, y*y, z)", x=1.0, y=3.0, z=9.0)
    seeds = [graph.ids[name] for name in "xyz"]
    assert _lanes(graph, list(back.partials), seeds) == [0.0, 3.0, 0.5]
    # and a product of three gates of two arguments each, one per seed
    graph, _, back = _pass("f = max(2*x, x*y, y + z)", x=1.0, y=5.0, z=-1.0)
    # max picks x*y = 5 (y + z = 4, 2x = 2): df/dx = y = 5, df/dy = x = 1, df/dz = 0
    seeds = [graph.ids[name] for name in "xyz"]
    assert _lanes(graph, list(back.partials), seeds) == [5.0, 1.0, 0.0]


def test_counts_over_plain_mappings_of_checks():
    from backpropcli.crosscheck import Check, Checks

    edges = {(1, 0): Check("pass"), (1, 1): Check("fail"), (2, 0): Check("kink")}
    nodes = {0: Check("skip"), 1: Check("pass"), 2: Check("fail")}
    # passes count kinks: (pass, kink, pass) = 3; failures 2; skips 1
    assert Checks(edges, nodes, {}).counts() == (3, 2, 1)


@pytest.mark.parametrize(
    "text",
    [
        "x = 1e-310\nf = log2(x) * 3",  # a literal after the gate: the walk back passes a leaf first
        "x = 1e-310\nf = 3 * log2(x)",  # the gate two places below the output
        "x = 1e-310\nf = log2(x)",
    ],
)
def test_an_infinite_local_derivative_is_named_at_its_gate(text):
    from backpropcli.errors import EvalError

    # d/dx log2(x) = 1/(x log 2) = 1.3e310 at x = 1e-310: beyond the largest float, 1.8e308
    graph = parse(text)
    with pytest.raises(EvalError) as caught:
        backward(graph, forward(graph, {}))
    assert caught.value.message == "log2(1e-310): a local derivative is too large for a float"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        # the rule itself raises: d/dx 1/x = -1/x**2 = -1e400 at x = 1e-200; d/dy 10**y = 10**308 log 10
        ("x = 1e-200\nf = 1/x", "div(1, 1e-200)"),
        ("x = 10.0; y = 308\nf = x**y", "pow(10.0, 308)"),
    ],
)
def test_a_rule_that_overflows_is_told_as_a_local_derivative_too_large(text, says):
    from backpropcli.errors import EvalError

    graph = parse(text)
    with pytest.raises(EvalError) as caught:
        backward(graph, forward(graph, {}))
    assert caught.value.message == f"{says}: a local derivative is too large for a float"


def test_a_gradient_that_overflows_is_named_at_its_node():
    from backpropcli.errors import EvalError

    # df/dv = 1e300 * 1/(2 sqrt(v)) = 1e300 * 2.2e161 at v = 5e-324: every local is a float, the product is not
    graph = parse("x = 5e-324\nv = x * 1.0\nf = sqrt(v) * 1e300")
    with pytest.raises(EvalError) as caught:
        backward(graph, forward(graph, {}))
    assert caught.value.message == "the gradient at v overflows a float"


def test_a_gradient_that_overflows_at_an_input_is_named_there():
    from backpropcli.errors import EvalError

    # df/dx = cos(1e300) * 1e300 * 1e10 (by hand: cos(1e300) = -0.575...): every gate's gradient and local
    # partial is a float, the product at the input x is not
    assert abs(math.cos(1e300) * 1e300) * 1e10 == math.inf
    graph = parse("x = 1.0\nf = sin(x * 1e300) * 1e10")
    with pytest.raises(EvalError) as caught:
        backward(graph, forward(graph, {}))
    assert caught.value.message == "the gradient at x overflows a float"
    assert caught.value.where is not None
    assert (caught.value.where.line, caught.value.where.col) == (1, 1)


def test_an_exact_value_past_the_float_range_in_a_float_program_is_checked():
    from backpropcli import analyze

    # min(x, y) * 1.0 with y = 2**1100 exact: df/dx = 1.0, df/dy = 0 (by hand); the whole-expression check
    # holds y at sympy's digits, as no float can
    report = analyze("f = min(x, y) * 1.0", {"x": 1.0, "y": 2**1100})
    assert report.gradients == {"x": 1.0, "y": 0}
    assert report.checks is not None
    assert report.counts()[1] == 0


PARTIAL_ORACLE = [
    "x = 2; y = 3\nu = x * y\nv = exp(u / 6)\nf = v * 2 + y",  # a chain with a fan-out, exp reads its own value
    "x = 0; y = 5\ng = relu(x) * y\nu = max(x, 0)\nf = u * y + relu(y)",  # kinks: one unused (g), one tied
    "x = -2.0; c = 4\nw = relu(x - 1)\nf = x**3 + c * x",  # a constant exponent whose log partial is nan
    "a = 1; b = 2; c = 3\nm = max(a, b, c, 3)\nf = m * a - b / c",
]


@pytest.mark.parametrize("text", PARTIAL_ORACLE)
def test_the_partial_backward_pass_equals_the_backward_pass_where_every_slope_exists(text):
    from backpropcli.claims.partial import _partial

    graph = parse(text)
    values = forward(graph, {})
    whole, partial = backward(graph, values), _partial(graph, values)
    assert partial.grads == whole.grads
    assert sorted(partial.kinks) == sorted(whole.kinks)
    reach = [p is not None for p in whole.partials]
    assert [p is not None for p in partial.partials] == reach


def test_a_missing_slope_spoils_only_the_gradients_that_need_it():
    from backpropcli.claims.partial import backward_or_partial

    # f = 2 exp(x**n) + sqrt(z) at x = -2.0, n = 3, z = 4.0: df/dx = 2 exp(-8) * 3x**2 = 24 exp(-8),
    # df/dz = 1/(2 sqrt z) = 0.25; df/dn needs log(x) of a negative x: it does not exist
    graph = parse("x = -2.0; n = 3; z = 4.0\nu = x**n\nv = exp(u)\nf = v * 2 + sqrt(z)")
    values = forward(graph, {})
    back, reason = backward_or_partial(graph, values)
    grads = {name: back.grads[graph.ids[name]] for name in ("x", "n", "z", "u", "v")}
    assert grads["x"] == pytest.approx(24 * math.exp(-8)) and grads["z"] == 0.25
    assert math.isnan(grads["n"]) and grads["u"] == pytest.approx(2 * math.exp(-8)) and grads["v"] == 2
    assert reason == "pow(-2.0, 3) has no finite derivative here, so the gradient does not exist"


def test_a_slope_that_raises_spoils_only_its_own_gradients():
    from backpropcli.claims.partial import backward_or_partial

    # sqrt has no finite slope at 0: df/dx does not exist; df/dy = 3
    graph = parse("x = 0.0; y = 1.5\nf = sqrt(x) + 3 * y")
    back, _ = backward_or_partial(graph, forward(graph, {}))
    assert math.isnan(back.grads[graph.ids["x"]]) and back.grads[graph.ids["y"]] == 3


def _state(text: str, point: dict, partials=None, tol: float = 1e-9):
    """One program's cross-check state with the given local partials as sympy's (the backward pass's
    own by default), and the list its progress goes to."""
    import time

    import sympy

    from backpropcli.crosscheck.state import Found, State

    graph, values, back = _pass(text, **point)
    if partials is None:
        partials = [None if p is None else list(p) for p in back.partials]
    calls: list = []
    st = State(graph, values, back, tol, time.monotonic() + 60, 60.0, sympy, lambda *a: calls.append(a))
    st.sympy_partials, st.found = partials, Found(len(values))
    return st, calls


def _dual(text: str, point: dict, partials=None, tol: float = 1e-9):
    """The dual-number checks of one program with the given local partials, and the progress they reported."""
    from backpropcli.autodiff import kinked
    from backpropcli.crosscheck.totals import _dual_checks

    st, calls = _state(text, point, partials, tol)
    graph, back = st.graph, st.back
    checks = _dual_checks(st, kinked(graph, back))
    return graph, back, {graph.nodes[i].name: c for i, c in checks.items()}, calls


def test_dual_numbers_pass_every_sampled_input_with_the_true_partials():
    from backpropcli.ops import show

    # f = sin(x*y) + z: df/dx = y cos(xy), df/dy = x cos(xy), df/dz = 1
    _, _, checks, calls = _dual("f = sin(x*y) + z", {"x": 0.5, "y": 2.0, "z": 1.0})
    assert {name: (c.status, c.how) for name, c in checks.items()} == {n: ("pass", "dual") for n in "xyz"}
    assert checks["x"].expected == show(2.0 * math.cos(1.0)) and checks["z"].expected == show(1.0)
    assert calls == [("cross-check: dual numbers", 0, 3)]


def test_dual_numbers_fail_the_inputs_behind_a_wrong_partial_and_no_others():
    graph, _, back = _pass("f = sin(x*y) + z", x=0.5, y=2.0, z=1.0)
    partials = [None if p is None else list(p) for p in back.partials]
    sine = graph.nodes[graph.output].args[0]
    partials[sine][0] *= 1.5  # sympy would say cos(1); the engine's pass says 1.5 cos(1)
    _, _, checks, _ = _dual("f = sin(x*y) + z", {"x": 0.5, "y": 2.0, "z": 1.0}, partials)
    assert {name: c.status for name, c in checks.items()} == {"x": "fail", "y": "fail", "z": "pass"}
    assert float(checks["x"].expected) == pytest.approx(3.0 * math.cos(1.0))  # y * 1.5 cos(xy)


def test_dual_numbers_skip_the_inputs_behind_an_unchecked_partial():
    graph, _, back = _pass("f = sin(x*y) + z", x=0.5, y=2.0, z=1.0)
    partials = [None if p is None else list(p) for p in back.partials]
    partials[graph.nodes[graph.output].args[0]][0] = None  # sympy gave no number for sin's partial
    _, _, checks, _ = _dual("f = sin(x*y) + z", {"x": 0.5, "y": 2.0, "z": 1.0}, partials)
    assert {name: c.status for name, c in checks.items()} == {"x": "skip", "y": "skip", "z": "pass"}
    assert checks["x"].note == "a local partial on its paths was not checked" and checks["x"].how == "dual"


def test_dual_numbers_forgive_the_rounding_of_a_sum_that_cancels():
    # df/dx = 0.1 + 0.2 - 0.3: 2.8e-17 summed backwards, 5.6e-17 forwards; both within 2**-40 of the
    # terms' size (0.6), so neither is wrong
    _, _, checks, _ = _dual("f = x*0.1 + x*0.2 - x*0.3", {"x": 1.0})
    assert checks["x"].status == "pass"
    # the same a trillion times smaller: 2.5e-29 against 5.0e-29, from terms of 6e-13
    _, _, checks, _ = _dual("f = x*1e-13 + x*2e-13 - x*3e-13", {"x": 1.0})
    assert checks["x"].status == "pass"


def test_dual_numbers_judge_a_small_gradient_at_its_own_scale():
    # df/dx = 1e-12; a partial of 2e-12 is twice that, however small both are next to 1
    graph, _, back = _pass("f = x * 1e-12", x=1.0)
    partials = [None if p is None else list(p) for p in back.partials]
    partials[graph.output][0] = 2e-12
    _, _, checks, _ = _dual("f = x * 1e-12", {"x": 1.0}, partials)
    assert checks["x"].status == "fail"


def test_dual_numbers_sample_eight_inputs_spread_over_the_program():
    names = [f"x{k}" for k in range(20)]
    text = "f = " + " + ".join(f"{n}*{n}" for n in names)
    point = {n: float(k + 1) for k, n in enumerate(names)}
    _, _, checks, calls = _dual(text, point)
    # every second input of 20 (20 // 8 = 2), the first 8 of them: df/dxk = 2 xk
    assert list(checks) == [f"x{k}" for k in range(0, 16, 2)]
    assert all(c.status == "pass" and float(c.expected) == 2 * point[n] for n, c in checks.items())
    assert calls == [("cross-check: dual numbers", 0, 8)]


def test_dual_numbers_leave_out_the_inputs_behind_a_kink():
    # relu at 0: x's gradient passes a kink (its one-sided derivatives decide it); y's does not
    _, _, checks, _ = _dual("f = relu(x) + y*y", {"x": 0.0, "y": 3.0})
    assert {name: c.status for name, c in checks.items()} == {"y": "pass"}
    _, _, checks, calls = _dual("f = relu(x) * 2.0", {"x": 0.0})
    assert checks == {} and calls == [("cross-check: dual numbers", 0, 0)]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # the caret spans the gate that failed, as typed: 6 characters of log(x), 7 of sqrt(x)
        (
            "x = 0\nf = 1 + log(x)",
            "error: 2:9: log(0) is undefined (outside its domain)\n  f = 1 + log(x)\n          ^^^^^^",
        ),
        (
            "x = 0.0\nf = 2 * sqrt(x)",
            "error: 2:9: sqrt(0.0) has no finite derivative here, so the gradient does not exist\n"
            "  f = 2 * sqrt(x)\n          ^^^^^^^",
        ),
        (
            "x = 1e-310\nf = 3 * log2(x)",
            "error: 2:9: log2(1e-310): a local derivative is too large for a float\n"
            "  f = 3 * log2(x)\n          ^^^^^^^",
        ),
        (
            "x = 5e-324\nv = x * 1.0\nf = sqrt(v) * 1e300",
            "error: 2:5: the gradient at v overflows a float\n  v = x * 1.0\n      ^^^^^^^",
        ),
        ("x = 5e-324\nf = sqrt(x) * 1e300", "error: 1:1: the gradient at x overflows a float\n  x = 5e-324\n  ^"),
    ],
)
def test_a_failing_pass_points_at_the_gate_it_failed_at(text, shown):
    from backpropcli.errors import BackpropError

    graph = parse(text)
    with pytest.raises(BackpropError) as caught:
        backward(graph, forward(graph, {}))
    assert caught.value.render() == shown


def test_relu_of_a_negative_zero_is_a_plain_zero():
    from backpropcli.ops import OPS, show

    assert show(OPS["relu"].forward(-0.0)) == "0.0" and show(OPS["relu"].forward(0)) == "0"


@pytest.mark.parametrize(
    ("digits", "shown"),
    [
        (40, "1234567890123456789012345678901234567890"),  # at the limit: whole
        (41, "1234567890123456...8901 (41 characters)"),
        (50, "1234567890123456...7890 (50 characters)"),
    ],
)
def test_a_long_number_in_a_message_is_shortened_to_its_ends(digits, shown):
    from backpropcli.ops import brief

    assert brief(int(("1234567890" * 5)[:digits])) == shown


def test_a_tie_beside_a_lower_argument_is_checked_along_the_tie():
    from backpropcli.crosscheck import crosscheck

    # max(x, y, z) at x = y = 3 > z = 1: x and y at the kink (between 0 and 1), z's slope 0
    graph = parse("x = 3; y = 3; z = 1\nm = max(x, y, z)\nf = 2 * m")
    values = forward(graph, {})
    checks = crosscheck(graph, values, backward(graph, values))
    m = graph.ids["m"]
    assert [(checks.edges[(m, p)].status, checks.edges[(m, p)].expected) for p in range(3)] == [
        ("kink", "[0, 1]"),
        ("kink", "[0, 1]"),
        ("pass", "0"),
    ]
    # sympy's number is given for the plain pass only: a kink's verdict is its interval
    assert checks.edges.number((m, 0)) is None and checks.edges.number((m, 2)) == 0


def test_any_subgradient_passes_at_a_float_tie_far_from_zero(monkeypatch):
    import dataclasses

    from backpropcli.crosscheck import crosscheck
    from backpropcli.ops import OPS

    # all to the first tied argument (TensorFlow's choice) instead of half each: one subgradient of max
    first = dataclasses.replace(OPS["max"], partials=lambda args, out: (1, 0))
    monkeypatch.setitem(OPS, "max", first)
    # at 1e20 a step of 1e-12 is below the last of sympy's 30 digits: the sides are 1e-12 * |x| away
    graph = parse("x = 1e20; y = 1e20\nf = max(x, y)")
    values = forward(graph, {})
    checks = crosscheck(graph, values, backward(graph, values))
    assert {key: (c.status, c.expected) for key, c in checks.edges.items()} == {
        (2, 0): ("kink", "[0, 1]"),
        (2, 1): ("kink", "[0, 1]"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # d/dy x**y = x**y log(x) = (1/9) log(1/3) at x = 1/3, y = 2
        ("a = 1; b = 3; y = 2\nx = a / b\nf = x ** y", (1 / 9) * math.log(1 / 3)),
        # x = 3**-700 is below the smallest float: its log is taken from its numerator and denominator,
        # and x**2 log(x) = -1400 log(3) / 3**1400 rounds to -0.0
        ("a = 1; b = 3**700; y = 2\nx = a / b\nf = x ** y", -0.0),
    ],
)
def test_the_exponent_partial_of_a_fraction_base(text, expected):
    graph, _, back = _pass(text)
    assert back.grads[graph.ids["y"]] == pytest.approx(expected, rel=1e-12, abs=0)


def test_a_kink_partial_in_a_chain_check_is_the_engines_own():
    from backpropcli.crosscheck import crosscheck
    from backpropcli.crosscheck.totals import SYMBOLIC_TREE_CAP

    # u0 = relu(x) + y at x = 0, squared 11 times: written out as a tree it is past the symbolic cap,
    # so node gradients are re-accumulated from the local partials, the kink's included
    lines = ["x = 0; y = 0.5", "u0 = relu(x) + y"] + [f"u{k} = u{k - 1} * u{k - 1}" for k in range(1, 12)]
    graph = parse("\n".join(lines))
    values = forward(graph, {})
    checks = crosscheck(graph, values, backward(graph, values))
    assert any(str(SYMBOLIC_TREE_CAP) in note for note in checks.notes)
    assert (checks.nodes[graph.ids["x"]].status, checks.nodes[graph.ids["x"]].how) == ("pass", "chain")


def test_a_local_partial_sympy_has_no_value_for_is_skipped_with_the_reason():
    from backpropcli.crosscheck import crosscheck

    # d/dy x**y = x**y log(x) at x = 0: sympy has no number; the engine's 0 is neither confirmed nor refuted
    graph, values, back = _pass("f = x ** y", x=0, y=2)
    checks = crosscheck(graph, values, back)
    edge = checks.edges[(graph.output, 1)]
    assert (edge.status, edge.note) == ("skip", "sympy's derivative is undefined at this point")
    assert checks.edges.number((graph.output, 1)) is None and checks.edges.number((graph.output, 0)) == 0


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a = 1; b = 2; c = 3\nf = (a + b) * c", "(a + b) * c"),  # the span starts inside the parentheses
        ("a = 1; b = 2; c = 3\nf = c * (a + b)", "c * (a + b)"),  # ... or ends inside them
        ("x = 1; xyzw = 2\nf = " + "x + " * 9 + "xyzw", "x + " * 9 + "xyzw"),  # 40 characters: whole
        ("x = 1; xyzw = 2\nf = " + "x + " * 9 + "xyzw + x", "x + " * 9 + "x..."),  # 44: 37 and an ellipsis
    ],
)
def test_a_statement_is_shown_balanced_and_at_most_40_characters(text, shown):
    from backpropcli.claims.accumulate import statement

    graph = parse(text)
    assert statement(graph, graph.output) == shown


def test_a_float_slope_at_a_kink_lies_between_float_one_sided_derivatives():
    from backpropcli.crosscheck import crosscheck

    # leaky_relu(x, 0.1) at x = 0: slope 0.1 from the left, 1 from the right; the engine takes 0.1
    graph, values, back = _pass("f = leaky_relu(x, 0.1) * 2", x=0)
    gate = graph.nodes[graph.output].args[0]
    edge = crosscheck(graph, values, back).edges[(gate, 0)]
    assert (edge.status, edge.expected) == ("kink", "[0.1, 1]")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x = 1\nf = x ** 3000", 1),  # 3000 bits of work at most: kept exact
        ("x = -1\nf = x ** 3001", -1),
        ("x = 2\nf = x ** 2048", 2**2048),  # 2 bits times 2048 = 4096: the limit itself, exact
        ("x = 2\nf = x ** -3", Fraction(1, 8)),  # a negative power of an integer: a fraction, not 0.125
    ],
)
def test_a_power_within_the_exact_limit_stays_exact(text, value):
    graph = parse(text)
    found = forward(graph, {})[graph.output]
    assert type(found) is type(value) and found == value


def test_a_power_past_the_exact_limit_is_refused_without_being_computed():
    from backpropcli.errors import EvalError

    # 3**2000 ** 100000 would be 3e8 bits exactly; as a float it overflows at once
    with pytest.raises(EvalError) as caught:
        forward(parse("a = 3**2000\nf = a ** 100000"), {})
    assert caught.value.message.endswith(", 100000) overflows: the result is too large for a float")


def test_forward_mode_lanes_start_right_after_the_first_seed_and_are_zero_where_nothing_reaches():
    from backpropcli.crosscheck.totals import _lanes

    # f = sin(x) * y: the gate right after x reads it; df/dx = cos(x) y, df/dy = sin(x)
    graph, _, back = _pass("f = sin(x) * y", x=0.5, y=2.0)
    seeds = [graph.ids["x"], graph.ids["y"]]
    assert _lanes(graph, list(back.partials), seeds) == pytest.approx([2.0 * math.cos(0.5), math.sin(0.5)])
    # y is defined before the output a but does not reach it
    graph = parse("y = 4.0\na = x * 2\nb = a + y\n", output="a")
    back = backward(graph, forward(graph, {"x": 1.0}))
    assert _lanes(graph, list(back.partials), [graph.ids["y"]]) == [0.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("f = sin(x, y)", "sin() takes 1 argument, got 2"),  # one argument: no plural
        ("f = atan2(x)", "atan2() takes 2 arguments, got 1"),
        ("f = atan2(x, y, z)", "atan2() takes 2 arguments, got 3"),
        ("f = max(x)", "max() takes 2 or more arguments, got 1"),  # no upper bound
    ],
)
def test_a_call_with_the_wrong_number_of_arguments_says_how_many_the_op_takes(text, message):
    from backpropcli.errors import InputError

    with pytest.raises(InputError) as caught:
        parse(text)
    assert caught.value.message == message


@pytest.mark.parametrize("name", ["floor", "ceil"])
def test_floor_and_ceil_are_flat_between_whole_numbers_and_jump_at_them(name):
    from backpropcli.errors import EvalError
    from backpropcli.ops import OPS, Jump, _steps

    # floor(2.5) = 2 and ceil(2.5) = 3 stay put near 2.5: slope 0; at 2 (floor(2) = ceil(2) = 2) both jump.
    # The rule is made afresh here, as the op table makes it for the row, and the row's own is asked too.
    for rule in (_steps(name), OPS[name].partials):
        assert rule((2.5,), OPS[name].forward(2.5)) == (0,) and rule((-1.5,), OPS[name].forward(-1.5)) == (0,)
        with pytest.raises(Jump) as caught:
            rule((2.0,), OPS[name].forward(2.0))
        assert str(caught.value) == f"{name} jumps at 2.0"
    graph = parse(f"f = 3 * {name}(x)")
    with pytest.raises(EvalError) as failed:
        backward(graph, forward(graph, {"x": 2}))
    why = f"{name} jumps at 2, so the gradient does not exist"
    assert failed.value.message == f"{name}(2) has no derivative here: {why}"


def test_the_ledger_read_by_slices_gives_the_edges_read_one_by_one():
    from backpropcli.autodiff import ledger

    # f = x*y + sin(x): the backward pass visits f (both arguments), then sin(x), then the product
    graph, _, back = _pass("f = x*y + sin(x)", x=1.0, y=2.0)
    f = graph.output
    product, sine = graph.nodes[f].args
    edges = ledger(graph, back)
    visited = [(f, 0), (f, 1), (sine, 0), (product, 0), (product, 1)]
    assert [edges[k] for k in range(len(edges))] == visited
    assert edges[:] == visited and edges[1:3] == visited[1:3] and edges[-2:] == visited[-2:]
    # a sequence of edges, equal to other sequences of them: not to a mapping keyed by the same edges
    assert edges == tuple(visited) and edges != dict.fromkeys(visited)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        # d/dy atan2(y, x) = x/(x**2 + y**2), d/dx = -y/(x**2 + y**2): exact where both are
        ({"y": 1, "x": 2}, {"y": Fraction(2, 5), "x": Fraction(-1, 5)}),
        ({"y": Fraction(1, 3), "x": 2}, {"y": Fraction(18, 37), "x": Fraction(-3, 37)}),
        # one float argument makes the slopes floats, scaled so that x**2 + y**2 = 1e-400 does not
        # underflow to 0: at (1e-200, 0) they are 0 and -1/y; at (0, 1e-200), 1/x and 0
        ({"y": 1e-200, "x": 0}, {"y": 0.0, "x": -1e200}),
        ({"y": 0, "x": 1e-200}, {"y": 1e200, "x": 0.0}),
    ],
)
def test_atan2_slopes_are_exact_for_exact_arguments_and_finite_for_a_tiny_float_beside_a_zero(point, expected):
    import mpmath

    graph, _, back = _pass("f = atan2(y, x)", **point)
    found = {name: back.grads[graph.ids[name]] for name in "yx"}
    assert {name: type(v) for name, v in found.items()} == {name: type(v) for name, v in expected.items()}
    with mpmath.workdps(50):
        y, x = (mpmath.mpf(Fraction(point[n]).numerator) / Fraction(point[n]).denominator for n in "yx")
        truth = {"y": x / (x * x + y * y), "x": -y / (x * x + y * y)}
    assert all(float(found[n]) == pytest.approx(float(truth[n]), rel=1e-12, abs=0) for n in "yx")
    assert found == expected


@pytest.mark.parametrize(
    ("point", "value", "slope"),
    [
        # a % b = a - b*floor(a/b): the slope along b is -floor(a/b), exact only where a and b are
        ({"x": 7, "y": 2}, 1, -3),
        ({"x": Fraction(15, 2), "y": 2}, Fraction(3, 2), -3),
        ({"x": 7.5, "y": 2}, 1.5, -3.0),  # one float: float value, float slope
        ({"x": 7, "y": 2.5}, 2.0, -2.0),
    ],
)
def test_mod_keeps_exact_values_exact_and_floats_float(point, value, slope):
    graph, values, back = _pass("f = x % y", **point)
    by_hand = point["x"] - point["y"] * math.floor(point["x"] / point["y"])
    assert values[graph.output] == by_hand == value and type(values[graph.output]) is type(value)
    found = back.grads[graph.ids["y"]]
    assert found == -math.floor(point["x"] / point["y"]) == slope and type(found) is type(slope)
    assert back.grads[graph.ids["x"]] == 1


def test_dual_numbers_in_lanes_judge_a_small_gradient_at_its_own_scale():
    # two inputs, carried in one pass: df/dx = 1e-12, and a partial of 2e-12 is twice that, however
    # small both are next to 1 (df/dy = 1 is right)
    text = "f = x * 1e-12 + y"
    graph, _, back = _pass(text, x=1.0, y=1.0)
    partials = [None if p is None else list(p) for p in back.partials]
    partials[graph.nodes[graph.output].args[0]][0] = 2e-12
    _, _, checks, _ = _dual(text, {"x": 1.0, "y": 1.0}, partials)
    assert {name: (c.status, float(c.expected)) for name, c in checks.items()} == {
        "x": ("fail", 2e-12),
        "y": ("pass", 1.0),
    }


def test_dual_numbers_in_lanes_forgive_a_cancelling_sum_rounded_to_either_side_of_zero():
    # df/dx = a - b for a = 0.30000000000000004 (one ulp above 0.3) and b = 0.3: the engine's sum is
    # +5.6e-17; with sympy's first partial an ulp below 0.3 instead, the forward sum is -5.6e-17. Both
    # are within the rounding of terms of 0.6 (2**-40 of it is 5e-13): neither is wrong
    text = "f = x*0.30000000000000004 - x*0.3 + y"
    graph, _, back = _pass(text, x=1.0, y=1.0)
    partials = [None if p is None else list(p) for p in back.partials]
    first = graph.nodes[graph.nodes[graph.output].args[0]].args[0]  # the gate x*0.30000000000000004
    assert partials[first][0] == 0.30000000000000004
    partials[first][0] = math.nextafter(0.3, 0.0)
    _, _, checks, _ = _dual(text, {"x": 1.0, "y": 1.0}, partials)
    assert back.grads[graph.ids["x"]] == -float(checks["x"].expected) == 0.30000000000000004 - 0.3
    assert {name: c.status for name, c in checks.items()} == {"x": "pass", "y": "pass"}


def test_a_retry_at_high_precision_leaves_the_later_checks_at_the_usual_precision():
    import mpmath

    from backpropcli.crosscheck import crosscheck

    # tanh(40.0)'s local partial, 1 - tanh(40)**2 = 7.2e-35, is 0 in floats: that check is taken again at
    # high precision. The checks after it are back at sympy's usual 30 digits: x and z tie in max, and the
    # one-sided derivatives of f along x are 0 and 1e20 (1 - tanh(19)**2), whose 1 - tanh(19)**2 = 1.3e-16
    # is nothing at a float's 16 digits. They are taken 1e-12 * 19 beside the tie.
    graph, values, back = _pass("x = 19.0; z = 19.0; w = 40.0\nm = max(x, z)\nf = tanh(m) * 1e20 + tanh(w)")
    checks = crosscheck(graph, values, back)
    with mpmath.workdps(50):
        side = mpmath.mpf(19) * (1 + mpmath.mpf(10) ** -12)
        hi = float(mpmath.mpf(10) ** 20 * (1 - mpmath.tanh(side) ** 2))
    for name in "xz":
        check = checks.nodes[graph.ids[name]]
        lo, up = check.expected.strip("[]").split(", ")
        assert check.status == "kink" and lo == "0" and float(up) == pytest.approx(hi, rel=1e-9)


@pytest.mark.parametrize("x", [2.0, 0.5])
def test_a_gradient_through_a_tie_lies_between_its_derivatives_just_beside_the_tie(x):
    import mpmath

    from backpropcli.crosscheck import crosscheck

    # f = max(x, z) * x * x at x = z: z*x*x to the left (slope 2zx), x**3 to the right (3x**2). A float
    # point is known to its last digits only: the one-sided derivatives shown are taken h = 1e-12 * max(|x|, 1)
    # beside it, where they still change with x
    graph, values, back = _pass("m = max(x, z)\nf = m * x * x", x=x, z=x)
    check = crosscheck(graph, values, back).nodes[graph.ids["x"]]
    with mpmath.workdps(40):
        h = mpmath.mpf(10) ** -12 * max(abs(x), 1)
        sides = [float(2 * x * (x - h)), float(3 * (x + h) ** 2)]
    assert check.status == "kink" and 2 * x * x <= back.grads[graph.ids["x"]] <= 3 * x * x
    assert [float(end) for end in check.expected.strip("[]").split(", ")] == pytest.approx(sides, rel=1e-14)


# a = 2**4095, the largest power of two within the exact limit of 4096 bits
LARGE = "x = 2**2048; y = 2**2047\na = x * y\n"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (LARGE + "f = a + (a - 1)", 2**4096 - 1),  # 4096 bits: the limit itself
        (LARGE + "f = (a - 1) / (1/2)", 2**4096 - 2),  # a whole fraction of 4096 bits
        (LARGE + "f = (1 - a) - (a - 1)", -(2**4096) + 2),
        (LARGE + "f = 1 / a", Fraction(1, 2**4095)),  # a denominator of 4096 bits
        (LARGE + "f = 1 / a / 2", 0.0),  # 4097 bits: a float, 2**-4096, below the smallest one
        (LARGE + "f = 1/a + 1/3", 1 / 3),  # a denominator of 3 * 2**4095, 4097 bits: a float
        (LARGE + "f = 1/3 - 1/a", 1 / 3),
        (LARGE + "f = (1/3) * (1/a)", 0.0),
        ("x = 1.5\nf = x / 2", 0.75),  # one float argument: a float, not the fraction of its binary value
        ("x = 3\nf = x / 2.0", 1.5),
    ],
)
def test_exact_values_stay_exact_up_to_4096_bits(text, value):
    graph = parse(text)
    found = forward(graph, {})[graph.output]
    assert type(found) is type(value) and found == value


@pytest.mark.parametrize(
    ("text", "op"),
    [
        # 2**4096 and -2**4096 have 4097 bits: past the exact limit, and too large for a float
        (LARGE + "f = a + a", "add"),
        (LARGE + "f = (0 - a) + (0 - a)", "add"),
        (LARGE + "f = a - (0 - a)", "sub"),
        (LARGE + "f = (0 - a) - a", "sub"),
        ("x = 2**2048\nf = x * x", "mul"),
        ("x = 2**2048\nf = (0 - x) * x", "mul"),
        (LARGE + "f = a / (1/2)", "div"),
        (LARGE + "f = (0 - a) / (1/2)", "div"),
    ],
)
def test_an_exact_value_one_bit_past_the_limit_overflows_at_its_gate(text, op):
    from backpropcli.errors import EvalError

    with pytest.raises(EvalError) as caught:
        forward(parse(text), {})
    assert caught.value.message.startswith(f"{op}(") and caught.value.message.endswith(
        ") overflows: the result is too large for a float"
    )


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize(
    ("text", "gate"),
    [
        # x's gradient is y + z = 2**4096 (or -2**4096), added last at the gate named, through each of
        # the backward pass's branches: a gate's first argument, its second, one argument, many
        ("f = x*y + x*z", "mul(1/2, "),
        ("f = y*x + z*x", "mul("),
        ("f = y*relu(x) + x*z", "relu(1/2)"),
        ("f = y*max(x, u, v) + x*z", "max(1/2, 0, 0)"),
    ],
)
def test_an_exact_gradient_one_bit_past_the_limit_has_no_float_and_stops_at_its_gate(text, gate, sign):
    from backpropcli import analyze
    from backpropcli.errors import EvalError

    graph = parse(text)
    # every value stays within 4096 bits: f = 2**4095 at x = 1/2, y = z = 2**4095
    point = {"x": Fraction(1, 2), "y": sign * 2**4095, "z": sign * 2**4095, "u": 0, "v": 0}
    values = forward(graph, {name: v for name, v in point.items() if name in graph.ids})
    assert values[graph.output] == sign * 2**4095
    with pytest.raises(EvalError) as caught:
        backward(graph, values)
    message = caught.value.message
    assert message.startswith(gate)
    assert message.endswith("): the gradient it passes to its argument is too large for a float")
    # the run as a whole stops there too (the pass that leaves out missing slopes meets the same sum)
    with pytest.raises(EvalError) as caught:
        analyze(text, {name: v for name, v in point.items() if name in graph.ids}, check=False)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # a float result of inf is reported at the gate that made it, not where sin(inf) fails later
        ("x = 1e308\nf = sin(x + x)", "add(1e+308, 1e+308)"),
        ("x = 1e308; y = -1e308\nf = sin(x - y)", "sub(1e+308, -1e+308)"),
        ("x = 1e308\nf = sin(x * x)", "mul(1e+308, 1e+308)"),
        ("y = 5e-324\nf = sin(1 / y)", "div(1, 5e-324)"),
        ("x = 1e308; y = 0.1\nf = sin(x / y)", "div(1e+308, 0.1)"),
    ],
)
def test_a_float_overflow_is_reported_at_the_gate_that_made_it(text, shown):
    from backpropcli.errors import EvalError

    with pytest.raises(EvalError) as caught:
        forward(parse(text), {})
    assert caught.value.message == f"{shown} overflows: the result is too large for a float"


def test_sympy_numbers_of_exact_edges_are_ints_where_they_are_whole():
    from backpropcli.crosscheck import crosscheck

    # f = a/b + a*b at a = 3, b = 1/2: d/da (a/b) = 1/b = 2 and d/db (a/b) = -a/b**2 = -12 are whole;
    # d/da (a*b) = b = 1/2 is not. A whole number is the int that sympy gives, and that the engine has
    graph, values, back = _pass("a = 3; b = 1/2\nq = a / b\np = a * b\nf = q + p")
    edges = crosscheck(graph, values, back).edges
    q, p = graph.ids["q"], graph.ids["p"]
    found = [edges.number(key) for key in ((q, 0), (q, 1), (p, 0), (p, 1))]
    assert found == [2, -12, Fraction(1, 2), 3] and [type(v) for v in found] == [int, int, Fraction, int]
    assert [back.local(*key) for key in ((q, 0), (q, 1), (p, 0), (p, 1))] == found


NOTES = {
    "kink": "the gradient passes a kink; it lies between the one-sided derivatives",
    "smooth": "the gradient passes a kink, where the subgradient convention differs from the one-sided "
    "derivatives (the function may be smooth here)",
    "edge": "not differentiable here: any value between the one-sided derivatives is a subgradient",
    "unevaluable": "sympy cannot evaluate its derivative at this point",
    "undefined": "sympy's derivative is undefined at this point",
}


@pytest.mark.parametrize(
    ("text", "point", "node", "edge"),
    [
        # relu at 0: d/dx 3 relu(x) is 0 from the left and 3 from the right; the engine's 0 lies between
        ("f = relu(x) * 3", {"x": 0}, ("kink", "[0, 3]", "kink"), ("kink", "[0, 1]", "edge")),
        # relu(x) - relu(-x) = x: slope 1 on both sides, and the subgradient convention gives 0 + 0
        ("f = relu(x) - relu(-x)", {"x": 0}, ("skip", "[1, 1]", "smooth"), None),
        # sympy keeps elu's condition on cbrt's branch for y < 0, not real at y = 2: it cannot substitute
        ("f = elu(cbrt(x))", {"x": 2.0}, ("skip", "", "unevaluable"), None),
        # d/dy x**y = x**y log(x) has no value at x = 0
        ("f = y ** x", {"y": 0, "x": 2}, ("skip", "", "undefined"), ("skip", "", "undefined")),
    ],
)
def test_a_kinked_or_skipped_check_says_why_in_full(text, point, node, edge):
    from backpropcli.crosscheck import crosscheck

    graph, values, back = _pass(text, **point)
    checks = crosscheck(graph, values, back)
    x = graph.ids["x"]
    found = checks.nodes[x]
    assert (found.status, found.expected, found.note) == (node[0], node[1], NOTES[node[2]])
    if edge is not None:
        gate, pos = next((g, p) for g, p in checks.edges if graph.nodes[g].args[p] == x)
        found = checks.edges[(gate, pos)]
        assert (found.status, found.expected, found.note) == (edge[0], edge[1], NOTES[edge[2]])


def test_the_cross_check_reports_its_progress_kind_by_kind():
    from backpropcli.crosscheck import crosscheck

    # f = x*y + x*x: the two products make the kinds (mul, argument 0) and (mul, argument 1) of two edges
    # each, the sum one edge per argument: 6 edges in 4 kinds, counted as each kind starts
    graph, values, back = _pass("f = x*y + x*x", x=1.0, y=2.0)
    calls: list = []
    crosscheck(graph, values, back, progress=lambda *call: calls.append(call))
    assert calls == [("cross-check: local partials", done, 6) for done in (0, 2, 4, 5)]


def test_a_key_that_names_no_edge_or_node_has_no_check():
    from backpropcli.crosscheck import crosscheck

    # negative numbers are not counted from the end: (-1, 0) is no edge and -1 no node
    graph, values, back = _pass("f = x*y + sin(x)", x=1.0, y=2.0)
    checks = crosscheck(graph, values, back)
    f = graph.output
    assert checks.edges.get((f, 0)) is not None and checks.nodes.get(f) is not None
    assert [checks.edges.get(key) for key in ((-1, 0), (f, -1), (-1, -1))] == [None, None, None]
    assert checks.nodes.get(-1) is None and (f, -1) not in checks.edges and -1 not in checks.nodes
    assert checks.edges.status((-1, 0)) is None and checks.nodes.status(-1) is None
    with pytest.raises(KeyError) as caught:
        checks.edges[(f, -1)]
    assert caught.value.args == ((f, -1),)  # the key asked for, as a mapping says


def test_chain_totals_skip_a_node_whose_consumer_has_an_unchecked_partial():
    from backpropcli.crosscheck import Check
    from backpropcli.crosscheck.totals import _chain_totals
    from backpropcli.graph import CONST

    # f = sin(x*y) + z: each node's total is summed again over its consumers, from their gradients and
    # sympy's local partials; without sin's partial the product's total cannot be, while x's and y's
    # (from the product's gradient) and the others' still are
    graph, _, back = _pass("f = sin(x*y) + z", x=0.5, y=2.0, z=1.0)
    partials = [None if p is None else list(p) for p in back.partials]
    sine = graph.nodes[graph.output].args[0]
    product = graph.nodes[sine].args[0]
    partials[sine][0] = None
    st, _ = _state("f = sin(x*y) + z", {"x": 0.5, "y": 2.0, "z": 1.0}, partials)
    keys = [i for i, op in enumerate(graph.columns.ops) if op != CONST]  # the nodes node_checks checks
    nodes = _chain_totals(st, keys, {})
    assert nodes[product] == Check("skip", how="chain", note="a local partial it depends on was not checked")
    assert {i: (nodes[i].status, nodes[i].how) for i in keys if i != product} == {
        i: ("pass", "chain") for i in keys if i != product
    }
    assert float(nodes[graph.ids["x"]].expected) == pytest.approx(2.0 * math.cos(1.0))


@pytest.mark.parametrize(
    ("text", "point", "scale"),
    [
        # each node's |value| plus |partial| times its arguments' scales: x*y is 6 + 3*2 + 2*3 = 18, and
        # x*y + 1.0 is 7 + 1*18 + 1*1 = 26
        ("f = x*y + 1.0", {"x": 2.0, "y": 3.0}, 26.0),
        ("f = x*y + 1", {"x": 2, "y": 3}, 0.0),  # an exact result has no rounding error
        ("f = floor(x) * 1.5", {"x": 2.0}, 0.0),  # floor jumps at 2: no slope, the value is judged alone
        ("f = sqrt(x) + 1.5", {"x": 0.0}, 0.0),  # an infinite slope at 0: the same
    ],
)
def test_the_rounding_scale_of_a_formula_sums_values_and_slopes_along_it(text, point, scale):
    from backpropcli.autodiff import rounding_scale

    graph = parse(text)
    assert rounding_scale(graph, forward(graph, point)) == scale


# s1 = x + x has 3 nodes written out as a tree, s2 = s1 + s1 7, ..., s9 1023
DOUBLING = "x = 0.5\n" + "\n".join(["s1 = x + x"] + [f"s{k} = s{k - 1} + s{k - 1}" for k in range(2, 10)]) + "\n"


def _chain(depth: int, step: str) -> str:
    """u1 = step(x), u2 = step(u1), ...: an output `depth` gates deep."""
    return "x = 0.5\n" + "\n".join(f"u{k} = " + step.format(f"u{k - 1}" if k > 1 else "x") for k in range(1, depth + 1))


@pytest.mark.parametrize(
    ("text", "symbolic"),
    [
        # 1023 + 511 + 255 + 127 + 63 + 15 + 5 sums + 1 negation = 2000 nodes written out: the cap itself
        (DOUBLING + "f = -(s9 + s8 + s7 + s6 + s5 + s3)", True),
        (DOUBLING + "f = -(s9 + s8 + s7 + s6 + s5) + s3", True),  # 1 + 1984 + 15
        (DOUBLING + "f = max(s9 + s8 + s7 + s6 + x, s5, s3)", True),  # 1 + 1921 + 63 + 15
        (DOUBLING + "f = x - (s9 + s8 + s7 + s6 + s5 + s3)", False),  # 1 + 1 + 1999 = 2001: past it
        (DOUBLING + "f = -(-(s9 + s8 + s7 + s6 + s5 + s3))", False),
        (DOUBLING + "f = max(s9 + s8 + s7 + s6 + x, s5, s3, x)", False),
        # 80 gates deep is the depth cap itself; 81 are past it
        (_chain(80, "-{}"), True),
        (_chain(81, "-{}"), False),
        (_chain(80, "{} + x"), True),
        (_chain(81, "{} + x"), False),
        (_chain(79, "-{}") + "\nf = max(u79, -1, -2)", True),  # a max of three on top of 79 negations
        (_chain(80, "-{}") + "\nf = max(u80, -1, -2)", False),
    ],
    ids=[f"size {n} at {top}" for n in (2000, 2001) for top in ("a negation", "a sum", "a max")]
    + [f"depth {n} at {top}" for top in ("a negation", "a sum", "a max") for n in (80, 81)],
)
def test_the_symbolic_caps_include_their_own_size_and_depth(text, symbolic):
    from backpropcli.crosscheck import crosscheck

    graph, values, back = _pass(text)
    checks = crosscheck(graph, values, back)
    beyond = any("beyond the symbolic cap" in note for note in checks.notes)
    assert beyond is not symbolic
    assert checks.nodes[graph.ids["x"]].how == ("sympy" if symbolic else "dual")


def _balanced(leaves: int, negated: bool) -> str:
    """x, then a_k = x * x for each leaf, summed pairwise level by level (b_1, b_2, ...): 1 + leaves +
    (leaves - 1) nodes, and one more for a negation on top."""
    lines, names, count = ["x = 0.5"] + [f"a{k} = x * x" for k in range(leaves)], [f"a{k}" for k in range(leaves)], 0
    while len(names) > 1:
        pairs = [names[j : j + 2] for j in range(0, len(names), 2)]
        names = []
        for pair in pairs:
            if len(pair) == 1:
                names += pair
                continue
            count += 1
            lines.append(f"b{count} = {pair[0]} + {pair[1]}")
            names.append(f"b{count}")
    return "\n".join(lines + ([f"f = -{names[0]}"] if negated else []))


@pytest.mark.parametrize(("negated", "how"), [(False, "sympy"), (True, "chain")])
def test_every_node_total_is_symbolic_up_to_200_nodes(negated, how):
    from backpropcli.crosscheck import crosscheck

    # 1 + 100 + 99 = 200 nodes: each node's total by sympy; one negation more, 201: by the chain rule
    graph, values, back = _pass(_balanced(100, negated))
    assert len(graph.nodes) == 200 + negated
    check = crosscheck(graph, values, back).nodes[graph.ids["a0"]]
    assert (check.status, check.how) == ("pass", how)


def test_a_whole_expression_check_holds_the_other_inputs_past_a_floats_digits():
    import mpmath

    from backpropcli.crosscheck import crosscheck

    # d/dw of 1e20 tanh(max(x, z) + w) at x = z = w = 9.5 is 1e20 (1 - tanh(19)**2) = 12556.53...: with x
    # and z held at a float's 16 digits inside sympy, tanh(19) would round to 1 and the check would fail
    graph, values, back = _pass("x = 9.5; z = 9.5; w = 9.5\nm = max(x, z)\nf = tanh(m + w) * 1e20")
    check = crosscheck(graph, values, back).nodes[graph.ids["w"]]
    with mpmath.workdps(50):
        truth = float(mpmath.mpf(10) ** 20 * (1 - mpmath.tanh(19) ** 2))
    assert check.status == "pass" and float(check.expected) == pytest.approx(truth, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "point", "grads"),
    [
        # d/dx x**0 = 0 everywhere, 0 included (0**-1, which b * x**(b - 1) would ask for, is not needed)
        ("f = x ** 0", {"x": 0}, {"x": 0}),
        ("f = x ** 0", {"x": 0.0}, {"x": 0}),
        ("f = x ** 1", {"x": 5}, {"x": 1}),  # d/dx x = 1
        # d/dx x**y = y x**(y - 1) = 0 and d/dy x**y = x**y log(x) = log 3 at x = 3, y = 0
        ("f = x ** y", {"x": 3, "y": 0}, {"x": 0, "y": math.log(3)}),
        # 0**y is 0 for y > 0: its slope along y there is 0
        ("f = x ** y", {"x": 0, "y": 2}, {"x": 0, "y": 0}),
    ],
)
def test_the_slopes_of_a_power_at_exponents_zero_and_one(text, point, grads):
    graph, _, back = _pass(text, **point)
    assert {name: back.grads[graph.ids[name]] for name in grads} == grads


def test_the_slope_of_zero_to_a_varying_power_at_zero_does_not_exist():
    from backpropcli.errors import EvalError

    # 0**y is 0 for y > 0, 1 at y = 0 and undefined below: no derivative along y at y = 0
    graph = parse("f = x ** y")
    with pytest.raises(EvalError) as caught:
        backward(graph, forward(graph, {"x": 0, "y": 0}))
    assert caught.value.message == "pow(0, 0) has no finite derivative here, so the gradient does not exist"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x = 2.0\nf = x ** -1", 0.5),  # a float base: a float power, not the fraction of its binary value
        ("x = 2.0\nf = x ** 3", 8.0),
        ("x = 0.0\nf = x ** -1", "pow(0.0, -1) is undefined (outside its domain)"),  # as math.pow says
        ("x = 0\nf = x ** -1", "pow(0, -1) divides by zero"),  # 1/0 exactly
        ("x = 1e200\nf = x ** 2", "pow(1e+200, 2) overflows: the result is too large for a float"),
    ],
)
def test_a_float_base_to_a_whole_power_is_a_float(text, value):
    from backpropcli.errors import EvalError

    graph = parse(text)
    if isinstance(value, str):
        with pytest.raises(EvalError) as caught:
            forward(graph, {})
        assert caught.value.message == value
    else:
        found = forward(graph, {})[graph.output]
        assert type(found) is float and found == value


def test_the_ledger_lists_the_edges_of_a_gate_of_many_arguments_but_not_those_into_constants():
    from backpropcli.autodiff import ledger

    # f = max(x, 2, y*y, z) at x = 1, y = 3, z = 4: the backward pass visits f, then y*y; the edge of f
    # into the literal 2 carries nothing and is not listed
    graph, _, back = _pass("f = max(x, 2, y*y, z)", x=1.0, y=3.0, z=4.0)
    f = graph.output
    square = graph.nodes[f].args[2]
    assert list(ledger(graph, back)) == [(f, 0), (f, 2), (f, 3), (square, 0), (square, 1)]


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("f = (w + x*y) * z", {"w": 5, "x": 3, "y": 2, "z": 4}),
        # literals on either side, a folded constant, a unary gate, a node used twice
        ("u = 2 * x\nv = x + 0.5\nf = -(u * v) + tanh(v) * (3 + 4) + x", {"x": 0.25}),
        # a gate the output does not reach, and an output that is an input's square
        ("dead = sin(x) + 1\nf = x * x", {"x": 1.5}),
        ("f = relu(x - 1) * 2 + y / 2", {"x": 1, "y": 3}),
    ],
)
def test_the_ledger_of_one_and_two_argument_gates_is_what_the_backward_pass_visits(text, point):
    from backpropcli.autodiff import ledger
    from backpropcli.graph import CONST

    # the oracle: the backward pass's order written out, gate by gate from the last, each argument that
    # is not a constant in position order, and only gates the output reaches
    graph, _, back = _pass(text, **point)
    c = graph.columns
    expected = [
        (gate, pos)
        for gate in range(len(c) - 1, -1, -1)
        if back.partials[gate] is not None
        for pos, arg in enumerate(c.args(gate))
        if c.ops[arg] != CONST
    ]
    assert list(ledger(graph, back)) == expected
    assert any(c.ops[a] == CONST for gate in range(len(c)) for a in c.args(gate)) or "w +" in text


def test_a_node_total_through_abs_is_checked_along_a_real_symbol():
    from backpropcli.crosscheck import crosscheck

    # f = 3 |u| for u = x*y = -3: d f/d u = 3 sign(u) = -3; the node is a real number, so sympy's
    # derivative of |u| is sign(u) (for a complex symbol it is written with re and im, and has no value)
    graph, values, back = _pass("u = x * y\nf = abs(u) * 3", x=1.5, y=-2.0)
    check = crosscheck(graph, values, back).nodes[graph.ids["u"]]
    assert (check.status, float(check.expected)) == ("pass", -3.0)


@pytest.mark.parametrize(
    ("scale", "tol", "status"), [(1 + 1e-10, 1e-9, "pass"), (1 + 1e-10, 1e-12, "fail"), (1.5, 1e-9, "fail")]
)
def test_a_float_local_partial_is_judged_at_the_tolerance_asked_for(monkeypatch, scale, tol, status):
    import dataclasses

    from backpropcli.crosscheck import crosscheck
    from backpropcli.ops import OPS

    # sin's partial made cos(x) times `scale`: 1e-10 off is within a tolerance of 1e-9, not of 1e-12
    off = dataclasses.replace(OPS["sin"], partials=lambda args, out: (math.cos(args[0]) * scale,))
    monkeypatch.setitem(OPS, "sin", off)
    graph, values, back = _pass("f = sin(x) * 2.0", x=0.5)
    check = crosscheck(graph, values, back, tol=tol).edges[(graph.nodes[graph.output].args[0], 0)]
    assert check.status == status and float(check.expected) == pytest.approx(math.cos(0.5), rel=1e-15)


def test_the_local_gradients_along_the_ledger_are_each_edges_own():
    from backpropcli.autodiff import ledger

    # f = x*y + sin(x) at x = 1, y = 2: the backward pass visits f (d/da a + b = 1 for both), sin(x)
    # (cos 1), then the product (d/dx x*y = y = 2, d/dy x*y = x = 1)
    graph, _, back = _pass("f = x*y + sin(x)", x=1.0, y=2.0)
    assert list(back.edge_locals(ledger(graph, back))) == [1, 1, math.cos(1.0), 2.0, 1.0]
    # max(x, 2, y*y, z) at x = 1, y = 3, z = 4: the literal's edge is not in the ledger; y*y wins (9 > 4)
    graph, _, back = _pass("f = max(x, 2, y*y, z)", x=1.0, y=3.0, z=4.0)
    assert list(back.edge_locals(ledger(graph, back))) == [0, 1, 0, 3.0, 3.0]


def test_float_local_partials_of_one_kind_are_compared_with_sympys_in_one_pass():
    import dataclasses

    from backpropcli.crosscheck.local import _floats, _template

    # f = x**3 + y**3 + z**3: d/da a**3 = 3 a**2 is 0.75 at x = 0.5 and 12 at y = 2 (the exponents are ints,
    # a column of their own). At z = 1e-160 ours is 3e-320, and sympy's a**3 * 3 / a underflows to 0: both
    # below the floor where floats lose relative precision, so they agree. Our partial at y is made
    # 12 (1 + 1e-6): the gates that agree get sympy's number, and only y's is handed back, to be judged alone
    st, _ = _state("f = x**3 + y**3 + z**3", {"x": 0.5, "y": 2.0, "z": 1e-160})
    back = st.back
    cubes = [i for i, node in enumerate(st.graph.nodes) if node.op == "pow"]  # x**3, y**3, z**3, in order
    ours = [None if p is None else list(p) for p in back.partials]
    ours[cubes[1]][0] = 12.0 * (1 + 1e-6)
    st.back = dataclasses.replace(back, partials=tuple(None if p is None else tuple(p) for p in ours))
    assert _floats(st, _template(st, "pow", 2, 0), cubes, [[0.5, 2.0, 1e-160], [3, 3, 3]]) == [cubes[1]]
    assert [st.found.first[gate] for gate in cubes] == [0.75, None, 0.0]


@pytest.mark.parametrize(("x", "kind"), [(1.0, float), (1, int)])
def test_a_gate_with_an_exact_value_and_a_float_argument_is_checked_in_floats(x, kind):
    from backpropcli.crosscheck import crosscheck

    # max(x, y) at y = 2 > x is y's exact 2 either way; d/dx = 0 and d/dy = 1. With x a float, sympy's
    # derivative is taken in floats (0.0 and 1.0, which the JSON shows beside the engine's exact 0 and 1);
    # with every argument exact, exactly
    graph, values, back = _pass("f = max(x, y) * 3", x=x, y=2)
    edges = crosscheck(graph, values, back).edges
    top = graph.nodes[graph.output].args[0]
    assert values[top] == 2 and type(values[top]) is int
    found = [edges.number((top, pos)) for pos in (0, 1)]
    assert found == [0, 1] and [type(v) for v in found] == [kind, kind]


def test_sympy_numbers_its_own_arithmetic_finds_whole_are_ints():
    from backpropcli.crosscheck import crosscheck

    # d/dx |x| = sign(x) = -1 at x = -3: the template in plain arithmetic is not exact (sign is math's
    # copysign, a float), so sympy's own arithmetic gives it, and a whole number is the int the engine has
    graph, values, back = _pass("x = -3\nf = abs(x) * 3")
    key = (graph.nodes[graph.output].args[0], 0)
    found = crosscheck(graph, values, back).edges.number(key)
    assert (found, type(found)) == (-1, int) and back.local(*key) == found


def test_a_trace_of_an_imaginary_part_is_dropped_relative_to_the_real_part_and_at_least_to_one():
    import sympy

    from backpropcli.crosscheck.state import engine_number

    # evalf may leave an imaginary part of about 1e-12 of the result's size on a real number: it is
    # dropped up to 1e-12 times the real part, or times 1 where the real part is smaller; above, no real number
    def number(re: float, im: float):
        return engine_number(sympy.Float(re) + sympy.I * sympy.Float(im))

    assert number(1e6, 1e-7) == 1e6 and number(1e6, 1e-5) is None
    assert number(0.5, 0.9e-12) == 0.5 and number(0.5, 1.5e-12) is None


def test_sympys_number_for_an_exact_point_is_the_float_nearest_the_true_derivative():
    import mpmath

    from backpropcli.crosscheck import crosscheck

    # d/dy x**y = x**y log(x) is 144 log 12 at x = 12, y = 2: not exact, so sympy evaluates it, and a
    # float's 15 digits of it would land an ulp off (357.826557569472); the check shows the nearest float
    graph, values, back = _pass("x = 12; y = 2\nf = x ** y")
    found = crosscheck(graph, values, back).edges.number((graph.output, 1))
    with mpmath.workdps(50):
        assert found == float(144 * mpmath.log(12))


def test_a_kink_among_smooth_edges_of_its_kind_is_still_judged_between_its_one_sided_derivatives():
    from backpropcli.crosscheck import crosscheck

    # three relus, one edge kind: at x = 0 relu has slopes 0 and 1 on its two sides, and the engine's 0 lies
    # between them; at y = 2 (exact) and z = 1.5 (a float) the slope is 1, checked with the others of its kind
    graph, values, back = _pass("f = relu(x) + relu(y) + relu(z)", x=0.0, y=2, z=1.5)
    edges = crosscheck(graph, values, back).edges
    relus = {graph.nodes[gate].args[0]: gate for gate, _ in edges if graph.nodes[gate].op == "relu"}
    x, y, z = (relus[graph.ids[name]] for name in "xyz")
    assert (edges[(x, 0)].status, edges[(x, 0)].expected) == ("kink", "[0, 1]")
    assert [(edges[(g, 0)].status, edges.number((g, 0))) for g in (y, z)] == [("pass", 1), ("pass", 1.0)]
    assert edges.counts() == (len(edges), 0, 0)


def test_a_kink_whose_check_the_time_budget_stops_is_skipped_and_says_so():
    import time

    from backpropcli.crosscheck import Check
    from backpropcli.crosscheck.local import _kind, _template

    # relu(x) at its kink x = 0 is judged on its own, between sympy's one-sided derivatives: if the budget
    # has run out by then (after the kind's template was made), the edge is skipped for that reason
    st, _ = _state("f = relu(x) * 3", {"x": 0})
    gate = st.graph.nodes[st.graph.output].args[0]
    st.kinks = frozenset(st.back.kinks)
    assert st.kinks == {(gate, 0)}
    template = _template(st, "relu", 1, 0)
    st.deadline = time.monotonic() - 1
    records: dict = {}
    _kind(st, template, [gate], records)
    note = "the cross-check's time budget of 60s ran out"
    assert records == {(gate, 0): Check("skip", note=note)} and st.notes == [note]


def test_a_gradient_that_overflows_beside_an_exact_one_past_the_float_range_is_an_error():
    from backpropcli.errors import EvalError

    # d/dy of y * 2**1100 is the exact 2**1100, too large for a float but a number; d/dx of
    # sin(x * 1e300) * 1e10 is about 1e310, which overflows: the pass stops with an error
    graph = parse(f"n = {2**1100}\nf = y * n + sin(x * 1e300) * 1e10")
    values = forward(graph, {"x": 1.0, "y": 0})
    with pytest.raises(EvalError):
        backward(graph, values)
    # without the overflow, the exact gradient is kept as it is
    graph = parse(f"n = {2**1100}\nf = y * n + sin(x) * 1e10")
    back = backward(graph, forward(graph, {"x": 1.0, "y": 0}))
    assert back.grads[graph.ids["y"]] == 2**1100


def test_agree_holds_exact_numbers_to_equality_and_floats_to_the_tolerance_or_their_rounding():
    from backpropcli.crosscheck import agree

    # exact numbers: equal or not, however close; an exact number and a float: within tol, relative
    third = Fraction(1, 3)
    assert agree(third, Fraction(2, 6), 1e-9) and not agree(third, third + Fraction(1, 10**20), 0.5)
    assert agree(1, 1.0 + 1e-12, 1e-9) and agree(1.0 + 1e-12, 1, 1e-9) and not agree(1, 1.0 + 1e-6, 1e-9)
    assert agree(1.0, 1.0 + 1e-7, 1e-6) and not agree(1.0, 1.0 + 1e-5, 1e-6)
    # tiny floats: relative unless below the subnormal floor (1e-9 * 2**-1022 / 2**-52, about 1e-301)
    assert not agree(1e-14, 2e-14, 1e-9) and agree(5e-324, 0.0, 1e-9)
    # a result made of terms of size `scale` may be off by their rounding, 2**-40 of it: 0.1 + 0.2 - 0.3
    # is 5.6e-17 one way round and 2.8e-17 another, from terms of about 0.6; of 1e6, up to about 9e-7
    assert agree(5.6e-17, 2.8e-17, 1e-9, 0.6) and not agree(5.6e-17, 2.8e-17, 1e-9)
    assert agree(1e-7, 2e-7, 1e-9, 1e6) and not agree(1e-7, 2e-6, 1e-9, 1e6)
    # terms past the float range widen nothing; an exact number past it is near no float
    assert not agree(1.0, 2.0, 1e-9, math.inf) and agree(1.0, 1.0 + 1e-12, 1e-9, math.inf)
    assert not agree(2**1100, 1.0, 1e-9) and not agree(2**1100, 1.7e308, 0.5)


def test_a_sympy_call_runs_within_the_budget_left_and_is_stopped_at_its_end():
    import signal
    import time

    from backpropcli.crosscheck.state import OutOfTime, alarm

    st, _ = _state("f = x", {"x": 1.0})
    st.deadline = time.monotonic() + 0.5  # half a second left: the call runs
    assert st.sympy_call(abs, -2) == 2
    st.deadline = time.monotonic() - 1e-3  # none left: not even started
    with pytest.raises(OutOfTime):
        st.sympy_call(abs, -2)
    with alarm(st):
        assert st.alarm
        st.deadline = time.monotonic() + 5
        assert st.sympy_call(abs, -2) == 2
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # no alarm left set after the call
        st.deadline = time.monotonic() + 0.2  # a call that would take 30 s is interrupted at the budget
        started = time.monotonic()
        with pytest.raises(OutOfTime):
            st.sympy_call(time.sleep, 30)
        assert time.monotonic() - started < 10


def test_every_tie_is_judged_jointly_whatever_kinks_come_before_it(monkeypatch):
    import dataclasses

    from backpropcli.crosscheck import crosscheck
    from backpropcli.ops import OPS

    # max made to give 1 to each tied argument: each share lies between the one-sided derivatives 0 and 1,
    # but together they move max(x, y) at x = y twice as fast as it moves. The backward pass meets relu's
    # kink at v = 0 (one argument) and min's tie at z = w (shares 1/2 each, right) before it
    ones = dataclasses.replace(OPS["max"], partials=lambda args, out: tuple(int(a == out) for a in args))
    monkeypatch.setitem(OPS, "max", ones)
    graph, values, back = _pass("m = max(x, y)\nn = min(z, w)\nr = relu(v)\nf = r + n * m", x=1, y=1, z=2, w=2, v=0)
    m, n, r = (graph.ids[name] for name in "mnr")
    assert [gate for gate, _ in back.kinks] == [r, n, n, m, m]
    edges = crosscheck(graph, values, back).edges
    note = "one subgradient: the shares to the tied arguments must add up to 1, not 2"
    assert [(edges[(m, p)].status, edges[(m, p)].note) for p in (0, 1)] == [("fail", note)] * 2
    assert [edges[key].status for key in ((n, 0), (n, 1), (r, 0))] == ["kink"] * 3


def test_past_the_symbolic_cap_a_dual_skip_replaces_only_a_chain_skip():
    from backpropcli.crosscheck import Check
    from backpropcli.crosscheck.totals import node_checks

    # u0 = x*y, then 90 sines (depth past the symbolic cap): the node totals are summed again over each
    # node's consumers (chain), and the inputs' by dual numbers along every path. Without sympy's partial of
    # u0 along y, y's chain total cannot be summed; without sin's at u50, neither path's dual number can be.
    # x keeps its chain pass; y's skip is the dual one
    text = "\n".join(["u0 = x * y", *(f"u{k} = sin(u{k - 1})" for k in range(1, 91)), "f = u90 * 2.0"])
    graph, _, back = _pass(text, x=0.5, y=0.25)
    partials = [None if p is None else list(p) for p in back.partials]
    partials[graph.ids["u0"]][1] = partials[graph.ids["u50"]][0] = None
    st, _ = _state(text, {"x": 0.5, "y": 0.25}, partials)
    nodes, _ = node_checks(st)
    x, y = nodes[graph.ids["x"]], nodes[graph.ids["y"]]
    assert (x.status, x.how) == ("pass", "chain")
    assert y == Check("skip", how="dual", note="a local partial on its paths was not checked")
    assert any("beyond the symbolic cap" in note for note in st.notes)


def test_the_symbolic_cap_counts_the_gates_that_reach_the_output_not_the_others():
    from backpropcli.crosscheck import crosscheck

    # f = x * 2.0 beside 1100 gates it does not use (2200 nodes with their literals): its expression is
    # three nodes, so sympy checks it whole
    text = "\n".join(["f = x * 2.0", *(f"d{k} = x + {k}" for k in range(1100))])
    graph = parse(text, output="f")
    values = forward(graph, {"x": 0.5})
    checks = crosscheck(graph, values, backward(graph, values))
    assert len(graph.nodes) > 2200
    assert (checks.nodes[graph.ids["x"]].how, checks.notes) == ("sympy", ())


@pytest.mark.parametrize(("scale", "status"), [(1 + 1e-10, "pass"), (1 + 1e-8, "fail")])
def test_the_cross_check_holds_floats_to_1e_9_by_default_as_every_command_does(monkeypatch, scale, status):
    import dataclasses

    from backpropcli.crosscheck import crosscheck
    from backpropcli.ops import OPS

    # sin's partial made cos(x) times `scale`: 1e-10 off is within the default tolerance, 1e-8 off is not
    off = dataclasses.replace(OPS["sin"], partials=lambda args, out: (math.cos(args[0]) * scale,))
    monkeypatch.setitem(OPS, "sin", off)
    graph, values, back = _pass("f = sin(x) * 2.0", x=0.5)
    assert crosscheck(graph, values, back).edges[(graph.nodes[graph.output].args[0], 0)].status == status


@pytest.mark.parametrize(
    ("text", "point", "interval"),
    [
        ("f = relu(x)", {"x": 0}, "[0, 1]"),
        ("f = abs(x)", {"x": 0.0}, "[-1, 1]"),
        ("f = max(x, y)", {"x": 1, "y": 1}, "[0, 1]"),
    ],
)
def test_a_kink_at_the_output_gate_itself_leaves_its_inputs_between_the_one_sided_derivatives(text, point, interval):
    from backpropcli.crosscheck import crosscheck

    # the last node is the kink: d/dx relu(x) at 0 is 0 from the left and 1 from the right (sympy's
    # Heaviside(0) = 1/2 is no verdict on the engine's 0); |x| -1 and 1; max(x, y) at a tie 0 and 1 for each
    graph, values, back = _pass(text, **point)
    nodes = crosscheck(graph, values, back).nodes
    assert [(nodes[graph.ids[name]].status, nodes[graph.ids[name]].expected) for name in point] == [
        ("kink", interval)
    ] * len(point)


def _chain(text: str, point: dict, change, records=None, tol: float = 1e-9):
    """The chain totals of one program, with sympy's local partials those of the engine as `change` leaves them."""
    from backpropcli.crosscheck.totals import _chain_totals
    from backpropcli.graph import CONST

    graph, _, back = _pass(text, **point)
    partials = [None if p is None else list(p) for p in back.partials]
    change(graph, partials)
    st, _ = _state(text, point, partials, tol)
    keys = [i for i, op in enumerate(graph.columns.ops) if op != CONST]
    return graph, _chain_totals(st, keys, dict(records or {}))


def test_chain_totals_skip_a_node_behind_an_unchecked_partial_even_where_the_sums_agree():
    from backpropcli.crosscheck import Check

    # f = sin(x*y) + z at y = 0: d(x*y)/dx = y = 0, so the product passes nothing on to x either way, and
    # without sympy's partial along x its sum (0) equals ours (0.0); the partial it needs was still not checked
    def unchecked(graph, partials):
        partials[graph.nodes[graph.nodes[graph.output].args[0]].args[0]][0] = None

    graph, nodes = _chain("f = sin(x*y) + z", {"x": 0.5, "y": 0.0, "z": 1.0}, unchecked)
    assert nodes[graph.ids["x"]] == Check("skip", how="chain", note="a local partial it depends on was not checked")
    assert (nodes[graph.ids["y"]].status, nodes[graph.ids["z"]].status) == ("pass", "pass")


@pytest.mark.parametrize(
    ("text", "point", "gate", "pos"),
    [
        # the partial along x is missing at a product's second argument, at sin's one argument and at
        # a max of three; the gradient reaching that gate is 0, so x's sums agree either way
        ("f = sin(y*x) + z", {"x": 0.5, "y": 0.0, "z": 1.0}, "product", 1),
        ("f = sin(x)*y + z", {"x": 0.5, "y": 0.0, "z": 1.0}, "sin", 0),
        ("f = max(x, y, w)*q + z", {"x": 3.0, "y": 1.0, "w": 2.0, "q": 0.0, "z": 1.0}, "max", 0),
    ],
)
def test_chain_totals_skip_a_node_behind_an_unchecked_partial_at_any_argument(text, point, gate, pos):
    from backpropcli.crosscheck import Check

    def unchecked(graph, partials):
        # the gate is the first argument of the first argument of the output's sum
        inner = graph.nodes[graph.nodes[graph.output].args[0]].args[0]
        assert graph.nodes[inner].op == {"product": "mul"}.get(gate, gate)
        partials[inner][pos] = None

    graph, nodes = _chain(text, point, unchecked)
    assert nodes[graph.ids["x"]] == Check("skip", how="chain", note="a local partial it depends on was not checked")
    assert nodes[graph.ids["z"]].status == "pass"


def test_chain_totals_add_each_argument_of_a_gate_of_many():
    # f = max(x, y, w) + z at x = 3: max routes its gradient to x (1) and none to y and w, by hand
    graph, nodes = _chain("f = max(x, y, w) + z", {"x": 3.0, "y": 1.0, "w": 2.0, "z": 1.0}, lambda g, p: None)
    assert [nodes[graph.ids[name]].status for name in "xywz"] == ["pass"] * 4


@pytest.mark.parametrize(
    ("off", "tol", "status"), [(1e-10, 1e-9, "pass"), (1e-10, 1e-12, "fail"), (1e-6, 1e-9, "fail")]
)
def test_chain_totals_are_held_to_the_tolerance_asked_for(off, tol, status):
    # f = sin(x*y) + z at x = 0.5, y = 2: sympy's partial of sin made cos(1) (1 + off), so the product's
    # total, its gradient times that partial, is off by as much, relative; x's and y's are summed from the
    # product's gradient as the engine has it, and pass
    def scaled(graph, partials):
        partials[graph.nodes[graph.output].args[0]][0] *= 1 + off

    graph, nodes = _chain("f = sin(x*y) + z", {"x": 0.5, "y": 2.0, "z": 1.0}, scaled, tol=tol)
    product = graph.nodes[graph.nodes[graph.output].args[0]].args[0]
    found = [(nodes[i].status, nodes[i].how) for i in (product, *(graph.ids[name] for name in "xyz"))]
    assert found == [(status, "chain"), *[("pass", "chain")] * 3]
    # no literal here, so every node is judged, in id order
    assert list(nodes) == list(range(len(graph.nodes))) and nodes.counts()[1] == (status == "fail")


def test_chain_totals_judge_every_node_past_those_already_judged():
    from backpropcli.crosscheck import Check

    # as above, 1e-6 off, and the product's partial along x as well; x's total was already judged (by
    # sympy, as node_checks does for the inputs): x keeps that verdict, and the product after it still fails
    def scaled(graph, partials):
        sine = graph.nodes[graph.output].args[0]
        partials[sine][0] *= 1 + 1e-6
        partials[graph.nodes[sine].args[0]][0] *= 1 + 1e-6

    judged = Check("pass", "1.0")
    graph, nodes = _chain("f = sin(x*y) + z", {"x": 0.5, "y": 2.0, "z": 1.0}, scaled, records={0: judged})
    assert graph.ids["x"] == 0 and nodes[0] == judged
    product = graph.nodes[graph.nodes[graph.output].args[0]].args[0]
    assert [nodes[i].status for i in (graph.ids["y"], product)] == ["pass", "fail"]


def test_chain_totals_of_exact_numbers_must_be_equal_however_close():
    # f = x*y*3 at x = 2, y = 5, all exact: sympy's partial of the last product along x*y made 3 + 1e-15
    # exactly, so x*y's total differs from ours by an exact 1e-15
    def nudged(graph, partials):
        partials[graph.output][0] = Fraction(3) + Fraction(1, 10**15)

    graph, nodes = _chain("f = x*y*3", {"x": 2, "y": 5}, nudged)
    product = graph.nodes[graph.output].args[0]
    assert (nodes[product].status, nodes[product].expected) == ("fail", str(Fraction(3) + Fraction(1, 10**15)))
    assert [nodes[graph.ids[name]].status for name in "xy"] == ["pass", "pass"]


def test_a_chain_total_past_the_float_range_is_near_no_float():
    # f = y * n with n = 2**1100 at y = 1: our d f/d y is the exact 2**1100; were sympy's partial along y
    # the float 2.0, y's total would be 2.0, which is not near a number past the float range
    def floated(graph, partials):
        partials[graph.output][0] = 2.0

    graph, nodes = _chain(f"n = {2**1100}\nf = y * n", {"y": 1}, floated)
    assert (nodes[graph.ids["y"]].status, nodes[graph.ids["y"]].expected) == ("fail", "2.0")


def test_chain_totals_forgive_the_rounding_of_a_sum_that_cancels():
    # f = x*0.1 + x*0.2 - x*0.3 at x = 1: the backward pass adds x's three terms from the last gate back,
    # -0.3 + 0.2 + 0.1 = 2.8e-17. With sympy's partial along x*0.3 one ulp above 0.3 (a template evaluated
    # another way), the same sum is -2.8e-17: both the rounding of terms of about 0.6, not a wrong gradient
    def ulp(graph, partials):
        third = graph.nodes[graph.nodes[graph.output].args[1]]
        partials[graph.nodes[graph.output].args[1]][0] = math.nextafter(0.3, 1.0)
        assert third.op == "mul"

    graph, nodes = _chain("f = x*0.1 + x*0.2 - x*0.3", {"x": 1.0}, ulp)
    theirs = (-math.nextafter(0.3, 1.0) + 0.2) + 0.1
    assert ((-0.3 + 0.2) + 0.1, theirs) == (2.7755575615628914e-17, -2.7755575615628914e-17)
    assert (nodes[graph.ids["x"]].status, float(nodes[graph.ids["x"]].expected)) == ("pass", theirs)


def test_chain_totals_add_a_nodes_terms_in_the_backward_pass_order_and_hold_ours_where_equal():
    # the same sum with sympy's partials as ours: added from the last gate back, as the backward pass
    # adds them, it is ours to the last bit (2.8e-17; in id order it would be 5.6e-17), and then
    # held as our own float, not a copy
    graph, nodes = _chain("f = x*0.1 + x*0.2 - x*0.3", {"x": 1.0}, lambda graph, partials: None)
    x = graph.ids["x"]
    found = nodes.number(x)
    assert found == (-0.3 + 0.2) + 0.1 != (0.1 + 0.2) - 0.3
    from backpropcli.crosscheck.totals import _resummed

    graph, _, back = _pass("f = x*0.1 + x*0.2 - x*0.3", x=1.0)
    totals, missing = _resummed(graph, back.grads, list(back.partials))
    assert totals[x] is back.grads[x] and not any(missing)


@pytest.mark.parametrize("deep_first", [True, False])
def test_an_expression_is_as_deep_as_its_deepest_argument_whichever_side_it_is_on(deep_first):
    from backpropcli.crosscheck import expanded

    # u1 = sin(x), ..., u90 = sin(u89) is 90 gates deep; with x beside it, f = u90 + x (or x + u90) is 91
    chain = [f"u{k} = sin(u{k - 1})" if k > 1 else "u1 = sin(x)" for k in range(1, 91)]
    graph = parse("\n".join([*chain, "f = u90 + x" if deep_first else "f = x + u90"]))
    sizes, depths = expanded(graph, 2000)
    f = graph.output
    assert (depths[f], sizes[f]) == (91, 1 + 91 + 1)


@pytest.mark.parametrize("gate", ["relu(x)", "floor(x)", "max(x, 1, 2)"])
def test_a_whole_exact_gradient_through_a_one_argument_gate_or_a_gate_of_many_is_an_int(gate):
    # f = relu(x) * (3/2) at x = -1/2: d f/d relu(x) = 3/2, relu's slope there is 0, so d f/d x = 3/2 * 0 = 0,
    # the int (as every whole exact number the engine holds), not the Fraction 0/1; floor's slope is 0
    # too, and so is max's along an argument that does not win
    graph, _, back = _pass(f"f = {gate} * (3/2)", x=Fraction(-1, 2))
    found = back.grads[graph.ids["x"]]
    assert (found, type(found)) == (0, int)


def test_an_op_row_that_returns_an_infinity_is_reported_at_its_gate(monkeypatch):
    import dataclasses

    from backpropcli.errors import EvalError
    from backpropcli.ops import OPS

    # every row's arithmetic refuses an inf itself; a row that let one through (sin made to return inf) is
    # still stopped, at the gate that made it: here the last one, after which no other op would raise
    monkeypatch.setitem(OPS, "sin", dataclasses.replace(OPS["sin"], forward=lambda a: math.inf))
    graph = parse("f = sin(x * 2.0)")
    with pytest.raises(EvalError) as caught:
        forward(graph, {"x": 0.5})
    assert caught.value.message == "sin(1.0) overflows: the result is too large for a float"


def test_an_exact_value_past_the_float_range_is_held_at_its_value_in_a_float_programs_check():
    from backpropcli import analyze

    # f = x * (y / 2**1099) with y = 2**1100 exact and x a float: df/dx = y / 2**1099 = 2 (by hand), so the
    # whole-expression check must hold y at its own value, though no float can
    report = analyze("f = x * (y / 2**1099)", {"x": 1.0, "y": 2**1100})
    assert report.gradients["x"] == 2
    assert report.counts()[1] == 0


@pytest.mark.parametrize(
    ("claim", "ok"),
    [("0.001", True), ("-0.001", True), ("-2**2000", True), ("-2**2000 - 1", False), ("1.0", True), ("1", False)],
)
def test_an_interval_past_the_float_range_takes_its_slack_from_its_larger_end(claim, ok):
    from backpropcli.claims.grade import grade
    from backpropcli.claims.partial import backward_or_partial

    # relu at 0 times -2**2000: df/dx may be any value in [-2**2000, 0] (by hand). A float is held within
    # tol * 2**2000 of it (the size of its larger end, here the lower one); an exact claim is held exactly
    graph = parse(f"x = 0; z = -2**2000\nr = relu(x)\nf = r * z\ndfdx = {claim}\n")
    values = forward(graph, {})
    back, reason = backward_or_partial(graph, values)
    (r,) = grade(graph, values, back, 1e-9, True, reason)
    assert r.interval == (-(2**2000), 0)
    assert r.ok is ok


# sympy's local partials as the cross-check holds them: one column per argument position, our own
# objects where sympy's number is ours bit for bit, kinds taken in chunks; a constant slope is
# sympy's integer


def test_a_partial_that_is_ours_bit_for_bit_is_held_as_our_own_object():
    found = Found(3)
    ours = 0.1 + 0.2  # a float made here, not interned
    theirs = float(repr(ours))  # the same bits, another object
    assert theirs is not ours
    found.put(0, 0, theirs, ours)
    assert found.first[0] is ours
    # not ours: another value, another kind (1.0 is not 1), or a zero of the other sign
    found.put(1, 0, 2.5, 2.4)
    found.put(1, 1, 1.0, 1)
    found.put(2, 0, -0.0, 0.0)
    assert found.first[1] == 2.5 and type(found.second[1]) is float
    assert math.copysign(1, found.first[2]) == -1.0


def test_a_gate_whose_partials_are_all_ours_keeps_our_tuple_when_sealed():
    # gate 0: a leaf; gate 1: both partials ours; gate 2: one of sympy's differs; gate 3: one was not
    # found (an edge into a constant); gate 4: three arguments, the third held by (gate, position)
    a, b, c = 1.5, Fraction(1, 3), 7
    ours = [None, (a, b), (a, b), (a, b), (a, b, c)]
    found = Found(len(ours))
    found.put_all(0, [1, 2, 3, 4], [a, a, a, a], [a, a, a, a], [True] * 4)
    found.put_all(1, [1, 2, 4], [b, Fraction(2, 3), b], [b, b, b], [True, True, True])
    found.put(4, 2, c, c)
    sealed = found.sealed(ours)
    assert sealed[0] is None
    assert sealed[1] is ours[1] and sealed[4] is ours[4]
    assert sealed[2] == (a, Fraction(2, 3)) and sealed[3] == (a, None)
    assert found.first == [] and found.second == [] and found.more == {}


def test_put_all_keeps_only_the_gates_it_is_told():
    found = Found(4)
    found.put_all(1, [0, 2, 3], [5.0, 6.0, 7.0], [5.0, 6.5, 7.0], [True, False, True])
    assert found.second == [5.0, None, None, 7.0]
    found.put_all(3, [1, 2], [8, 9], [8, 9], [False, True])
    assert found.more == {(2, 3): 9}


def test_a_constant_slope_is_sympys_integer_in_a_float_program():
    # d/da (a + b) = 1 and d/db (a - b) = -1 whatever a and b are: sympy's number is the integer, as
    # the backward pass's is, so the JSON has nothing to add beside them (null: that very number)
    from backpropcli import analyze

    report = analyze("f = (x + y) - z", {"x": 0.5, "y": 1.25, "z": 2.0})
    doc = json.loads(report.to_json())
    edges = doc["edges"]
    assert edges["local"] == [1, -1, 1, 1]
    assert edges["check"]["status"] == ["pass"] * 4
    assert edges["check"]["sympy"] == [None] * 4


@pytest.mark.parametrize(
    ("text", "point"), [("f = (x + y) * 2.0", (0.5, 1.25)), ("f = (x + y) * 2", (1, Fraction(5, 4)))]
)
def test_a_wrong_constant_slope_still_fails_with_sympys_integer(text, point):
    # in floats and exactly alike: sympy's d/db (a + b) is the integer 1, at every gate without evaluating
    graph, values, back = _pass(text, x=point[0], y=point[1])
    add = graph.nodes[graph.output].args[0]
    partials = list(back.partials)
    partials[add] = (1, 2)  # add that does not distribute
    checks = crosscheck(graph, values, dataclasses.replace(back, partials=tuple(partials)))
    assert checks.edges[(add, 0)].status == "pass"
    assert checks.edges[(add, 1)].status == "fail" and checks.edges[(add, 1)].expected == "1"


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 16])
def test_kinds_taken_in_chunks_give_the_same_verdicts(monkeypatch, chunk):
    # f = sum of tanh(x_k * w_k) over 7 terms, with two of our local partials made wrong, in the
    # first and in a later chunk of their kind: every chunk size finds exactly those two, with sympy's
    # number (1 - tanh(u)**2, computed here) as the expected value
    monkeypatch.setattr(local, "CHUNK", chunk)
    names = [f"x{k}" for k in range(7)]
    text = "f = " + " + ".join(f"tanh({n} * {k + 1}.5)" for k, n in enumerate(names))
    point = {n: 0.1 * (k + 1) for k, n in enumerate(names)}
    graph, values, back = _pass(text, **point)
    tanhs = [i for i, node in enumerate(graph.nodes) if node.op == "tanh"]
    partials = list(back.partials)
    for gate in (tanhs[0], tanhs[5]):
        partials[gate] = (partials[gate][0] * 1.01,)
    checks = crosscheck(graph, values, dataclasses.replace(back, partials=tuple(partials)))
    failed = sorted(key for key, check in checks.edges.records.items() if check.status == "fail")
    assert failed == [(tanhs[0], 0), (tanhs[5], 0)]
    for gate, k in ((tanhs[0], 0), (tanhs[5], 5)):
        u = point[names[k]] * (k + 1.5)
        assert float(checks.edges[(gate, 0)].expected) == pytest.approx(1 - math.tanh(u) ** 2, rel=1e-12)
    assert checks.edges.counts() == (len(checks.edges) - 2, 2, 0)


def test_progress_counts_every_edge_of_a_kind_once_across_its_chunks(monkeypatch):
    monkeypatch.setattr(local, "CHUNK", 2)
    text = "f = " + " + ".join(f"sin(x{k})" for k in range(5))
    graph = parse(text)
    values = forward(graph, {f"x{k}": 0.25 * k for k in range(5)})
    back = backward(graph, values)
    heard: list[tuple[str, int, int]] = []
    crosscheck(graph, values, back, progress=lambda stage, done, total: heard.append((stage, done, total)))
    steps = [(done, total) for stage, done, total in heard if stage == "cross-check: local partials"]
    # by hand: 5 sin edges, then the 4 sums' first and second arguments, 4 each (13 in all), in chunks
    # of 2: each step says how many edges came before its chunk
    assert steps == [(done, 13) for done in (0, 2, 4, 5, 7, 9, 11)]


def test_pairs_of_ints_and_nones_are_one_tuple_when_sealed_and_floats_never_join_them():
    # x + 0.05 over and over: sympy's partials are (1, None) at every gate (an edge into a constant is
    # not checked); one tuple serves them all. A float 1.0 is not the int 1: its pair is its own
    ours = [(1, 1), (1, 1), (1, 1), (1.0, 2.0)]
    found = Found(len(ours))
    found.put_all(0, [0, 1, 2, 3], [1, 1, 1, 1.0], [1, 1, 1, 1.0], [True] * 4)
    sealed = found.sealed(ours)
    assert sealed[0] == (1, None) and sealed[0] is sealed[1] is sealed[2]
    assert sealed[3] == (1.0, None) and type(sealed[3][0]) is float and sealed[3] is not sealed[0]


def test_our_own_object_is_kept_for_every_position_and_for_a_zero_of_the_same_sign():
    # numbers made at run time, so that equal ones are distinct objects: where sympy's is ours bit for
    # bit (a zero of the same sign too), the column keeps ours, whichever position, through put_all too
    def fresh(text: str) -> float:
        return float(text)

    found = Found(4)
    ours = [fresh("0.1"), fresh("0.0"), fresh("-0.0"), fresh("2.5")]
    theirs = [fresh("0.1"), fresh("0.0"), fresh("-0.0"), fresh("2.5")]
    assert all(o is not t and o == t for o, t in zip(ours, theirs, strict=True))
    found.put_all(0, [0, 1, 2, 3], theirs, ours, [True] * 4)
    found.put_all(1, [0, 1, 2, 3], theirs, ours, [True] * 4)
    found.put_all(5, [0, 1, 2, 3], theirs, ours, [True] * 4)
    for column in (found.first, found.second, [found.more[(g, 5)] for g in range(4)]):
        assert all(held is mine for held, mine in zip(column, ours, strict=True))


def test_a_zero_of_the_other_sign_is_kept_as_sympys():
    ours, theirs = float("0.0"), float("-0.0")
    found = Found(1)
    found.put_all(0, [0], [theirs], [ours], [True])
    assert found.first[0] is theirs and math.copysign(1, found.first[0]) == -1


def test_sealing_keeps_our_tuple_of_one_and_sympys_tuple_of_three_where_one_differs():
    one, mine_one = float("0.75"), float("0.75")
    ours = [(mine_one,), (1.0, 2.0, 3.0), (1, 5), (1, 5.0)]
    found = Found(len(ours))
    found.put(0, 0, one, mine_one)  # ours bit for bit
    found.put_all(0, [1, 2, 3], [1.0, 1, 1], [1.0, 1, 1], [True] * 3)
    found.put_all(1, [1, 2, 3], [2.0, 1, 1.0], [2.0, 5, 5.0], [True] * 3)  # gates 2 and 3 differ here
    found.put(1, 2, 3.5, 3.0)  # and gate 1 at its third argument
    sealed = found.sealed(ours)
    assert sealed[0] is ours[0]
    assert sealed[1] == (1.0, 2.0, 3.5)
    # (1, 1) and (1, 1.0) are equal pairs, but only ints and Nones are shared: the float stays a float
    assert sealed[2] == (1, 1) and sealed[3] == (1, 1.0) and type(sealed[3][1]) is float
