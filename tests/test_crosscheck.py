"""The sympy cross-check: it agrees with a right backward pass and catches a wrong one."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest

from backpropcli.autodiff import backward, forward, ledger
from backpropcli.crosscheck import crosscheck, expanded, within
from backpropcli.parse import parse
from backpropcli.pipeline import analyze


def checked(text: str, budget: float = 20.0, **point):
    graph = parse(text)
    values = forward(graph, point)
    back = backward(graph, values)
    return graph, back, crosscheck(graph, values, back, budget=budget)


def test_lecture_all_pass_with_symbolic_formulas():
    graph, _, checks = checked("(w+x*y)*z", w=5, x=3, y=2, z=4)
    assert checks.counts() == (13, 0, 0)
    formulas = {graph.nodes[i].name: text for i, text in checks.formulas.items()}
    assert formulas == {"w": "z", "x": "y*z", "y": "x*z", "z": "w + x*y"}


def test_wrong_local_partial_is_caught():
    graph, back, _ = checked("x*y", x=3, y=2)
    wrong = list(back.partials)
    wrong[graph.output] = (3, 2)  # mul that does not swap
    bad = dataclasses.replace(back, partials=tuple(wrong))
    values = forward(graph, {"x": 3, "y": 2})
    checks = crosscheck(graph, values, bad)
    statuses = [c.status for c in checks.edges.values()]
    assert statuses == ["fail", "fail"]
    assert [c.expected for c in checks.edges.values()] == ["2", "3"]


def test_wrong_accumulation_is_caught():
    # fan-out written with = instead of +=: x gets only one of its contributions
    graph, back, _ = checked("x*x + x", x=3)
    grads = list(back.grads)
    grads[0] = 1
    values = forward(graph, {"x": 3})
    checks = crosscheck(graph, values, dataclasses.replace(back, grads=tuple(grads)))
    assert checks.nodes[0].status == "fail"
    assert checks.nodes[0].expected == "7"


def test_relu_at_zero_is_a_kink_not_a_failure():
    _, _, checks = checked("relu(x) * 3", x=0)
    statuses = {c.status for c in checks.edges.values()}
    assert "kink" in statuses and "fail" not in statuses
    assert checks.counts()[1] == 0


def test_function_smooth_through_kinks_never_fails():
    report = analyze("relu(x) - relu(-x)", {"x": 0})
    assert report.ok
    x_check = report.checks.nodes[0]
    assert x_check.status == "skip"
    assert "subgradient convention" in x_check.note


def test_max_tie_lies_within_the_one_sided_derivatives():
    _, _, checks = checked("max(x, y)", x=2, y=2)
    assert [c.expected for c in checks.edges.values()] == ["[0, 1]", "[0, 1]"]
    assert all(c.status == "kink" for c in checks.edges.values())


def test_removable_singularity_of_the_power_template():
    # sympy's d/dx x**2 written as x**2*2/x is nan at 0; the check must still pass
    _, _, checks = checked("x**2", x=0)
    assert checks.counts() == (3, 0, 0)


def test_long_chain_passes_or_skips_and_never_fails():
    lines = ["x0 = 0.5", "w = 0.99"]
    for k in range(1, 201):
        lines.append(f"x{k} = tanh(x{k - 1} * w)")
    report = analyze("\n".join(lines))
    passed, failed, _ = report.counts()
    assert failed == 0 and passed > 0
    assert any("beyond the symbolic cap" in note for note in report.checks.notes)


def test_exhausted_budget_skips_instead_of_failing():
    _, _, checks = checked("sin(x)*cos(y)", budget=1e-9, x=0.5, y=0.25)
    _, failed, skipped = checks.counts()
    assert failed == 0 and skipped > 0
    assert any("time budget" in note for note in checks.notes)


def test_underflowing_float_template_defers_to_sympy():
    # the compiled template -a/b**2 underflows at b = 1.37e-160; the gradient of y/y is 0 all the same
    report = analyze("y/y", {"y": 1.3675636787823643e-160})
    assert report.ok, report.counts()


def test_gradients_in_the_subnormal_range_do_not_fail_the_dual_check():
    lines = ["x0 = 0.5", "w = 0.9"] + [f"x{k} = tanh(x{k - 1}) * w" for k in range(1, 7001)]
    report = analyze("\n".join(lines))
    assert 0 < abs(report.gradients["x0"]) < 1e-300
    assert report.counts()[1] == 0


def test_a_power_the_engine_let_go_to_float_is_not_rebuilt_exactly_by_sympy():
    # (1/3)**(10**9) exactly would take sympy minutes; the engine's value is a float, so is the check
    from fractions import Fraction

    report = analyze("x ** 1000000000 + y", {"x": Fraction(1, 3), "y": 2}, budget=5)
    assert report.ok
    assert all(c.status != "skip" for c in report.checks.nodes.values())


# ---- checks in bulk: one compiled template per op kind ------------------------------------------

MIXED = "\n".join(
    ["a = 0.7", "b = -1.3", "c = 2.5"]
    + [f"p{k} = (a*b + sin(c)) / (1 + exp(b*{k}/7)) - tanh(a - {k}/5) * sqrt(c + {k})" for k in range(40)]
    + ["f = " + " + ".join(f"p{k}" for k in range(40))]
)


def _sympy_partial(graph, values, gate: int, pos: int) -> float:
    """The oracle: sympy's derivative of the gate's op at the point, each time from scratch at 40 digits."""
    import sympy as sp

    from backpropcli.ops import OPS

    node = graph.nodes[gate]
    syms = sp.symbols(f"t0:{len(node.args)}", real=True)
    d = sp.diff(OPS[node.op].sympy(sp, *syms), syms[pos])
    exact = (int, Fraction)
    point = {
        s: sp.Rational(str(values[a])) if isinstance(values[a], exact) else sp.Float(values[a], 40)
        for s, a in zip(syms, node.args, strict=True)
    }
    return float(d.xreplace(point).evalf(40))


def test_every_edge_checked_in_bulk_matches_sympy_from_scratch():
    graph, back, checks = checked(MIXED)
    values = forward(graph, {})
    assert checks.counts()[1:] == (0, 0)
    assert list(checks.edges) == ledger(graph, back)  # in the ledger's order, every edge
    for (gate, pos), check in checks.edges.items():
        assert check.status == "pass"
        want = _sympy_partial(graph, values, gate, pos)
        # the template compiled for floats is within the check's tolerance of sympy at 40 digits
        assert float(check.expected) == pytest.approx(want, rel=1e-9, abs=1e-300), (gate, pos)


def test_exact_edges_keep_sympy_exact():
    graph, _, checks = checked("x/y + x**3 * y", x=2, y=3)
    by_op = {(graph.nodes[g].op, p): c.expected for (g, p), c in checks.edges.items()}
    # d/dy x/y = -x/y**2 = -2/9; d/dx x**3 = 3x**2 = 12; d/dx x/y = 1/3
    assert by_op[("div", 1)] == "-2/9" and by_op[("div", 0)] == "1/3" and by_op[("pow", 0)] == "12"
    assert checks.counts()[1:] == (0, 0)


def test_a_float_template_that_cancels_is_judged_by_sympy_not_failed():
    # 1 - tanh(a)**2 in floats is 0.0 at a = 19.5; the engine's slope is right and must pass
    _, _, checks = checked("tanh(x) * 2", x=19.5)
    assert checks.counts()[1:] == (0, 0)


def test_checks_behave_as_mappings_and_only_the_exceptions_are_records():
    graph, back, checks = checked("relu(x) * y + x", x=0, y=2)
    edges = checks.edges
    assert len(edges) == len(list(edges)) == len(ledger(graph, back))
    assert edges.get((999, 0)) is None and edges.get((-1, 0)) is None
    assert checks.nodes.get(-1) is None
    statuses = [c.status for c in edges.values()] + [c.status for c in checks.nodes.values()]
    passed, failed, skipped = checks.counts()
    assert (failed, skipped) == (statuses.count("fail"), statuses.count("skip"))
    assert passed == statuses.count("pass") + statuses.count("kink")
    assert all(c.status != "pass" for c in edges.records.values())
    # the status alone, as a table's ranking asks for it: the same verdicts, None where nothing was checked
    assert [edges.status(key) for key in edges] == [c.status for c in edges.values()]
    assert [checks.nodes.status(i) for i in checks.nodes] == [c.status for c in checks.nodes.values()]
    assert edges.status((999, 0)) is None and checks.nodes.status(-1) is None


def test_dual_lanes_equal_one_forward_pass_per_input():
    from backpropcli.autodiff import tangent
    from backpropcli.crosscheck.totals import _lanes

    graph, back, _ = checked(MIXED)
    seeds = list(graph.inputs)
    partials = [None if p is None else list(p) for p in back.partials]
    assert _lanes(graph, partials, seeds) == [tangent(graph, partials, s)[0] for s in seeds]
    partials[graph.output] = [None, None]  # a partial that was not checked: no number, not a guess
    assert _lanes(graph, partials, seeds) is None


@pytest.mark.parametrize(
    ("text", "point", "intervals"),
    [
        ("relu(x) * 3", {"x": 0.0}, ["[0, 1]"]),
        ("max(x, y)", {"x": 3.5, "y": 3.5}, ["[0, 1]", "[0, 1]"]),
        ("min(x, y)", {"x": -2.5, "y": -2.5}, ["[0, 1]", "[0, 1]"]),
        ("abs(x) + x", {"x": -0.0}, ["[-1, 1]"]),
    ],
    ids=["relu", "max", "min", "abs"],
)
def test_a_kink_at_a_float_point_is_checked_beside_the_point(text, point, intervals):
    """A float point has no exact limit to take: sympy's derivative just left and right of it bounds
    the subgradient, on both sides (a side taken twice would give [0, 0] or [1, 1])."""
    _, _, checks = checked(text, **point)
    kinks = [c.expected for c in checks.edges.values() if c.status == "kink"]
    assert kinks == intervals
    assert checks.counts()[1:] == (0, 0)


def test_a_wrong_subgradient_at_a_float_kink_fails(monkeypatch):
    from backpropcli.ops import OPS

    wrong = dataclasses.replace(OPS["relu"], partials=lambda a, out: (2 if a[0] >= 0 else 0,))
    monkeypatch.setitem(OPS, "relu", wrong)
    _, _, checks = checked("relu(x) + 3", x=0.0)
    [edge] = [c for c in checks.edges.values() if c.expected == "[0, 1]"]
    assert edge.status == "fail"


NAN = math.nan


@pytest.mark.parametrize(
    ("value", "lo", "hi", "tol", "inside"),
    [
        # exact: the closed interval, no slack
        (Fraction(1, 2), 0, 1, 1e-9, True),
        (0, 0, 1, 1e-9, True),
        (1, 0, 1, 1e-9, True),
        (Fraction(3, 2), 0, 1, 1e-9, False),
        (Fraction(-1, 10**12), 0, 1, 1e-9, False),
        # floats: a slack of tol relative to the larger bound, and at least tol
        (0.0, 0.0, 1.0, 1e-9, True),
        (1.0, 0.0, 1.0, 1e-9, True),
        (1.0 + 1e-12, 0.0, 1.0, 1e-9, True),
        (-1e-12, 0.0, 1.0, 1e-9, True),
        (1.0 + 1.5e-9, 0.0, 1.0, 1e-9, False),
        (-1.5e-9, 0.0, 1.0, 1e-9, False),
        (0.5 + 8e-10, 0.0, 0.5, 1e-9, True),  # the slack is tol, not tol * 0.5
        (1000.0 + 5e-7, 0.0, 1000.0, 1e-9, True),  # relative to the upper bound
        (-1000.0 - 5e-7, -1000.0, 0.0, 1e-9, True),  # relative to the lower bound
        (1000.0 + 2e-6, 0.0, 1000.0, 1e-9, False),
        (1.0 + 1e-12, 0, 1, 1e-9, True),  # a float against exact bounds still gets the slack
        (-0.5, 0.0, 1.0, 0.5, True),  # exactly at the slack's edge, on either side
        (1.5, 0.0, 1.0, 0.5, True),
        (-0.75, 0.0, 1.0, 0.5, False),
        # a bound that is nan: nothing is within
        (0.5, NAN, 1.0, 1e-9, False),
        (0.5, 0.0, NAN, 1e-9, False),
        (0.5, NAN, NAN, 1e-9, False),
    ],
)
def test_within_the_one_sided_derivatives(value, lo, hi, tol, inside):
    assert within(value, lo, hi, tol) is inside


def test_a_node_total_that_cancels_is_judged_at_the_scale_of_its_terms():
    # 0.3 - 0.2 - 0.1 is -5.6e-17 in the backward pass's order and -2.8e-17 in exact arithmetic
    # on the same floats: both are rounding of terms of about 0.6, not a wrong gradient
    _, back, checks = checked("x*0.3 - x*0.2 - x*0.1", x=1.0)
    assert back.grads[0] == -5.551115123125783e-17
    assert checks.nodes[0].status == "pass" and checks.nodes[0].expected == "-2.7755575615628914e-17"
    assert checks.counts() == (13, 0, 0)


def test_the_symbolic_cap_is_decided_the_same_with_or_without_counting_the_tree():
    from backpropcli.crosscheck.totals import SYMBOLIC_DEPTH_CAP, SYMBOLIC_TREE_CAP

    for terms in (10, 300, 1200):
        text = "x = 0.5\ny = 2\nf = " + " + ".join(f"x*y*{k}" for k in range(1, terms + 1)) + "\n"
        report = analyze(text)
        sizes, depths = expanded(report.graph, SYMBOLIC_TREE_CAP)
        out = report.graph.output
        within = sizes[out] <= SYMBOLIC_TREE_CAP and depths[out] <= SYMBOLIC_DEPTH_CAP
        beyond = any("beyond the symbolic cap" in note for note in report.checks.notes)
        assert beyond is not within, terms
        assert report.ok


def test_a_derivative_sympy_cannot_evaluate_is_skipped_not_a_crash():
    """elu(cbrt(y)) at y = 2: sympy's derivative keeps elu's condition on cbrt's branch for y < 0, whose
    value at 2 is not real, and substituting raises. The total is skipped with that reason; the gradient
    is still the engine's, 1/(3*2**(2/3)) by hand (cbrt(2) > 0, where elu is the identity)."""
    report = analyze("elu(cbrt(y))", {"y": 2.0})
    assert math.isclose(report.gradients["y"], 1 / (3 * 2 ** (2 / 3)), rel_tol=1e-12)
    y = report.graph.ids["y"]
    check = report.checks.nodes[y]
    assert check.status == "skip" and "cannot evaluate" in check.note
    assert report.checks.counts()[1] == 0


def test_a_constant_slope_not_the_rules_own_is_checked_edge_by_edge():
    """The edges of a constant rule are told once only where every gate holds the rule's own slopes;
    a gate holding other numbers (here (1, 2) for an add) is checked as any other."""
    graph, back, _ = checked("(x + y) * x", x=3, y=2)
    wrong = list(back.partials)
    add = graph.nodes[graph.output].args[0]
    wrong[add] = (1, 2)
    bad = dataclasses.replace(back, partials=tuple(wrong))
    checks = crosscheck(graph, forward(graph, {"x": 3, "y": 2}), bad)
    failed = [(key, c.expected) for key, c in checks.edges.items() if c.status == "fail"]
    assert failed == [((add, 1), "1")]


def test_every_edge_of_a_constant_slope_carries_sympys_number_at_its_own_position():
    """add's and sub's edges are told once per kind: each still has sympy's number at its position, by
    hand d/da (a + b) = d/db (a + b) = 1, d/da (a - b) = 1, d/db (a - b) = -1, and x*y's y and x."""
    graph, back, checks = checked("(w + x*y)*z - w", w=5, x=3, y=2, z=4)
    found = [(graph.nodes[gate].op, pos, checks.edges[(gate, pos)].expected) for gate, pos in ledger(graph, back)]
    assert found == [
        ("sub", 0, "1"),
        ("sub", 1, "-1"),
        ("mul", 0, "4"),  # (w + x*y)*z: d/d(w + x*y) = z
        ("mul", 1, "11"),  # d/dz = w + x*y
        ("add", 0, "1"),
        ("add", 1, "1"),
        ("mul", 0, "2"),  # x*y: d/dx = y
        ("mul", 1, "3"),
    ]


def test_an_op_whose_rule_is_not_constant_but_whose_slope_is_an_integer_is_checked_as_any_other():
    """sign's derivative is sympy's integer 0, yet its rule is no constant one: it takes the general way."""
    _, _, checks = checked("sign(x) * x + floor(x)", x=1.5)
    assert checks.counts() == (11, 0, 0)  # 6 edges (sign 1, mul 2, floor 1, add 2) and 5 node totals
