"""A slope along a constant argument is never needed, so its absence stops nothing."""

from __future__ import annotations

import json
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


POWER = "x = -2.0; n = 3\nf = x**n\n"


def test_check_grades_the_gradients_that_exist_and_names_the_missing_one(cli, tmp_path):
    path = tmp_path / "power.bp"
    path.write_text(POWER + "dfdx = n * x**(n - 1)\ndfdn = 0\n")
    result = cli("check", str(path), "--format", "json")
    assert result.code == 1  # dfdn claims a gradient that does not exist: a failed claim, not bad input
    record = json.loads(result.out)["files"][0]
    (dx, dn) = record["claims"]
    assert (dx["verdict"], dx["true"]) == ("correct", 12)  # by hand: 3 * (-2)**2
    assert (dn["verdict"], dn["true"], dn["true_text"]) == ("undefined", None, None)
    assert dn["why"].startswith("df/dn does not exist here: pow(-2.0, 3) has no finite derivative")
    assert dn["reason"] == dn["why"] and dx["reason"] is None
    assert record["warnings"] == [
        "df/dn does not exist here: pow(-2.0, 3) has no finite derivative here, so the gradient does not exist;"
        " every other gradient does"
    ]


def test_a_file_that_claims_only_what_exists_passes(cli, tmp_path):
    path = tmp_path / "power.bp"
    path.write_text(POWER + "dfdx = 12.0\n")
    result = cli("check", str(path))
    assert result.code == 0
    assert "warning: df/dn does not exist here" in result.out
    missing = cli("check", str(path), "--require-all")
    assert missing.code == 1 and "undefined" in missing.out


def test_eval_shows_the_gradients_that_exist_and_why_the_other_does_not(cli):
    result = cli("eval", "x**n", "x=-2.0", "n=3", "--format", "json")
    assert result.code == 0  # a gradient that does not exist is not a failed check
    doc = json.loads(result.out)  # valid JSON: no NaN anywhere
    assert doc["gradients"] == {"x": 12.0, "n": None}  # by hand: 3 * (-2)**2
    assert doc["undefined"] == {
        "reason": "pow(-2.0, 3) has no finite derivative here, so the gradient does not exist",
        "names": ["n"],
    }
    n = doc["nodes"]["name"].index("n")
    assert doc["nodes"]["grad"][n] is None and str(n) not in doc["nodes"]["grad_text"]
    assert doc["nodes"]["check"]["status"][n] == "skip"
    table = cli("eval", "x**n", "x=-2.0", "n=3")
    assert table.code == 0 and "warning: df/dn does not exist here" in table.out
    assert "nan" not in table.out and "undefined" in table.out


def test_eval_fails_only_a_claim_about_a_gradient_that_does_not_exist(cli):
    assert cli("eval", "--", (POWER + "dfdx = 12.0\n").replace("\n", ";")).code == 0
    claimed = cli("eval", "--format", "json", "--", (POWER + "dfdn = 0\n").replace("\n", ";"))
    assert claimed.code == 1
    (claim,) = json.loads(claimed.out)["claims"]
    assert (claim["verdict"], claim["true"]) == ("undefined", None)


def test_eval_refuses_a_program_whose_output_does_not_exist(cli):
    assert cli("eval", "--no-check", "log(x)", "x=-1.0").code == 2


def test_a_slope_too_large_for_a_float_is_still_an_error_not_a_missing_gradient(cli):
    result = cli("eval", "--no-check", "1/x", "x=1e-200")
    assert result.code == 2 and "too large for a float" in result.err


def test_explain_tells_the_missing_gradient_and_its_pseudocode_leaves_it_out(cli):
    text = cli("explain", "x**n", "x=-2.0", "n=3")
    assert text.code == 0
    assert "df/dx = 12, df/dn = undefined" in text.out
    assert "Warning: df/dn does not exist here: pow(-2.0, 3)" in text.out
    code = cli("explain", "x**n", "x=-2.0", "n=3", "--pseudocode")
    assert "dfdx = n*x**(n - 1)" in code.out and "\ndfdn =" not in code.out
    assert cli("eval", "-", stdin=code.out).code == 0  # reads back, its one claim passing


@pytest.mark.parametrize("y", [0.4556, 2.5])
def test_eval_of_a_constant_zero_base_gives_value_and_gradient_zero(cli, y):
    doc = json.loads(cli("eval", "0.0 ** y", f"y={y}", "--format", "json").out)
    assert doc["value"] == 0 and doc["gradients"] == {"y": 0} and doc["undefined"] is None


def test_a_missing_slope_that_no_gradient_needs_stops_nothing(cli):
    # by hand: max(x, y**x) at x = 1, y = -2 is x (1 > -2), so df/dx = 1 and df/dy = 0; the slope of
    # y**x by x, y**x * log(y), does not exist, but max sends 0 that way
    doc = json.loads(cli("eval", "max(x, (y ** x))", "x=1", "y=-2", "--format", "json").out)
    assert doc["gradients"] == {"x": 1, "y": 0} and doc["undefined"] is None and doc["warnings"] == []
