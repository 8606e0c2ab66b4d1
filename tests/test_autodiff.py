"""The engine: forward values and hand-written reverse-mode gradients, exactness, kinks, domains."""

from __future__ import annotations

from fractions import Fraction

import pytest

from backpropcli.autodiff import backward, forward, kinked, ledger
from backpropcli.errors import EvalError, InputError
from backpropcli.parse import parse


def grads(text: str, **point):
    graph = parse(text)
    values = forward(graph, point)
    back = backward(graph, values)
    return graph, values, back, {graph.nodes[i].name: back.grads[i] for i in graph.inputs}


def test_x_times_x_keeps_two_edges_and_adds_them():
    graph, _, back, g = grads("x*x", x=3)
    assert g == {"x": 6}
    assert ledger(graph, back) == [(1, 0), (1, 1)]


def test_diamond_accumulates_both_paths():
    # f = (2x) * (x + 1): df/dx = 2(x + 1) + 2x = 4x + 2
    *_, g = grads("a = 2*x\nb = x + 1\nf = a * b", x=3)
    assert g == {"x": 14}


def test_three_way_fan_out():
    *_, g = grads("x*y + x*z + x", x=2, y=5, z=7)
    assert g == {"x": 13, "y": 2, "z": 2}


def test_lecture_values_are_exact_integers():
    *_, g = grads("(w+x*y)*z", w=5, x=3, y=2, z=4)
    assert g == {"w": 4, "x": 8, "y": 12, "z": 11}
    assert all(type(v) is int for v in g.values())


def test_division_of_integers_stays_a_fraction():
    graph, values, _, g = grads("x/y", x=1, y=3)
    assert values[graph.output] == Fraction(1, 3)
    assert g == {"x": Fraction(1, 3), "y": Fraction(-1, 9)}


def test_decimal_inputs_are_floats():
    graph, values, *_ = grads("x*2", x=0.5)
    assert type(values[graph.output]) is float


def test_square_at_zero_and_below_zero():
    assert grads("x**2", x=0)[3] == {"x": 0}
    assert grads("x**2", x=-3)[3] == {"x": -6}
    assert grads("x^2", x=-3)[3] == {"x": -6}


def test_power_precedence_and_associativity():
    graph, values, *_ = grads("-x**2", x=3)
    assert values[graph.output] == -9
    graph, values, *_ = grads("x**3**2", x=2)  # right-associative: x**(3**2)
    assert values[graph.output] == 512


def test_variable_exponent_gets_its_log_partial():
    *_, g = grads("x**y", x=2.0, y=3)
    assert g["x"] == pytest.approx(12.0)
    assert g["y"] == pytest.approx(8 * 0.6931471805599453)


def test_relu_at_zero_uses_zero_and_marks_a_kink():
    graph, _, back, g = grads("relu(x)", x=0)
    assert g == {"x": 0}
    assert back.kinks == ((1, 0),)
    assert list(kinked(graph, back)) == [True, False]


def test_only_kinks_on_the_outputs_paths_are_marked_from_the_output_back():
    # relu(x) at 0 is a kink only where the output reads it: `unused` is a gate of its own, and abs
    # and relu sit among gates that have no kink rule
    text = "unused = abs(y) * 2\na = relu(x) + y\nb = abs(y) * a\nf = b - x"
    graph, _, back, _ = grads(text, x=0, y=0)
    a, b, unused = (graph.ids[name] for name in ("a", "b", "unused"))
    relu, abs_b, abs_unused = graph.columns.arg0[a], graph.columns.arg0[b], graph.columns.arg0[unused]
    assert [graph.columns.ops[i] for i in (relu, abs_b, abs_unused)] == ["relu", "abs", "abs"]
    assert back.partials[abs_unused] is None
    assert back.kinks == ((abs_b, 0), (relu, 0))


def test_max_tie_splits_evenly():
    *_, g = grads("max(x, y)", x=2, y=2)
    assert g == {"x": Fraction(1, 2), "y": Fraction(1, 2)}
    *_, g = grads("max(x, y, z)", x=2, y=2, z=2)
    assert g == {"x": Fraction(1, 3), "y": Fraction(1, 3), "z": Fraction(1, 3)}


def test_max_routes_without_a_tie():
    *_, g = grads("max(x, y) * z", x=4, y=7, z=2)
    assert g == {"x": 0, "y": 2, "z": 7}


def test_abs_at_zero():
    *_, g = grads("abs(x)", x=0)
    assert g == {"x": 0}


def test_unused_node_does_not_matter():
    # sqrt'(0) is infinite, but v does not reach the output
    *_, g = grads("v = sqrt(x)\nf = x * 2", x=0)
    assert g == {"x": 2}


@pytest.mark.parametrize(
    ("text", "point", "fragment"),
    [
        ("log(x)", {"x": 0}, "log(0) is undefined"),
        ("log(x)", {"x": -1}, "log(-1) is undefined"),
        ("sqrt(x)", {"x": -1}, "sqrt(-1) is undefined"),
        ("x/y", {"x": 1, "y": 0}, "div(1, 0) divides by zero"),
        ("exp(x)", {"x": 1000}, "exp(1000) overflows"),
        ("x**y", {"x": 0, "y": -1}, "divides by zero"),
        ("x**y", {"x": -8.0, "y": 0.5}, "is undefined"),
        ("sqrt(x)", {"x": 0}, "no finite derivative"),
        ("x**y", {"x": -2, "y": 2}, "no finite derivative"),
    ],
)
def test_points_without_a_value_or_slope_are_errors(text, point, fragment):
    graph = parse(text)
    with pytest.raises(EvalError) as caught:
        backward(graph, forward(graph, point))
    assert fragment in caught.value.message
    assert caught.value.where is not None and caught.value.where.line == 1


def test_missing_inputs_are_all_listed():
    with pytest.raises(InputError, match="no value for x, y"):
        forward(parse("x*y + z"), {"z": 1})


def test_huge_exact_power_falls_back_and_overflows_cleanly():
    graph = parse("x**y")
    with pytest.raises(EvalError, match="overflows"):
        forward(graph, {"x": 9, "y": 9**9})


def test_deep_chain_at_the_default_recursion_limit():
    lines = ["x0 = 1/2"] + [f"x{k} = x{k - 1} + 1" for k in range(1, 20001)]
    graph = parse("\n".join(lines))
    back = backward(graph, forward(graph, {}))
    assert back.grads[graph.inputs[0]] == 1
