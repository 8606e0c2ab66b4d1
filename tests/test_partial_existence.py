"""A slope along a constant argument is never needed, so its absence stops nothing."""

from __future__ import annotations

import math

import pytest

from backpropcli.autodiff import backward, forward
from backpropcli.errors import EvalError
from backpropcli.parse import parse


@pytest.mark.parametrize("y", [0.4556, 2.5, 1.0])
def test_a_constant_zero_base_gives_its_exponent_gradient_zero(y):
    graph = parse(f"y = {y}\nf = 0.0 ** y\n")
    values = forward(graph, {})
    grad = backward(graph, values).grads[graph.ids["y"]]
    h = 1e-6  # 0**y is 0 on both sides for y > 0: the central difference is 0 too
    central = (math.pow(0.0, y + h) - math.pow(0.0, y - h)) / (2 * h)
    assert grad == 0 == central


def test_a_varying_zero_base_below_power_one_still_has_no_slope():
    graph = parse("x = 0.0\nf = x ** 0.5\n")
    with pytest.raises(EvalError, match=r"pow\(0.0, 0.5\) has no finite derivative"):
        backward(graph, forward(graph, {}))
