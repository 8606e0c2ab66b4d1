"""Float honesty: where float arithmetic lost the answer, `check` says so (mpmath is the oracle)."""

from __future__ import annotations

import json
import math

import mpmath
import pytest

from backpropcli.autodiff import backward, forward
from backpropcli.claims.floats import float_losses
from backpropcli.parse import parse

SATURATED = "x = 300.0\nf = exp(x) / (1 + exp(x))\n"


def losses(text: str) -> tuple[str, ...]:
    graph = parse(text)
    values = forward(graph, {})
    return float_losses(graph, values, backward(graph, values))


def test_a_gradient_that_cancels_to_zero_in_floats_is_named_with_its_true_value():
    with mpmath.workdps(60):
        true = mpmath.exp(300) / (1 + mpmath.exp(300)) ** 2  # d/dx of the logistic, independently
    assert losses(SATURATED) == (
        f"float cancellation at x: the float gradient is 0.0, the true value {float(true):.4g}",
    )


def test_a_value_that_lost_digits_is_named():
    (warning,) = losses("x = 3.14e-17\nf = exp(3*x + 1e-16) - 1\n")
    with mpmath.workdps(60):
        x = mpmath.mpf(3.14e-17)
        true = mpmath.exp(3 * x + mpmath.mpf(1e-16)) - 1
    assert warning.startswith("float cancellation at f: the float value is 2.220446049250313e-16")
    assert warning.endswith(f"the true value {float(true):.4g}")


@pytest.mark.parametrize("text", ["x = 0.5; y = 2.0\nf = x*y + sin(x)\n", "x = 3; y = 2\nf = x * y\n"])
def test_programs_whose_floats_kept_the_answer_say_nothing(text):
    assert losses(text) == ()


def test_it_is_a_warning_unless_strict_floats(cli, tmp_path):
    path = tmp_path / "saturated.bp"
    path.write_text(SATURATED + "dfdx = 0.0\n")
    plain = cli("check", str(path), "--format", "json")
    assert plain.code == 0
    record = json.loads(plain.out)["files"][0]
    assert record["status"] == "passed" and record["warnings"][0].startswith("float cancellation at x")
    strict = cli("check", str(path), "--strict-floats")
    assert strict.code == 1 and strict.out.splitlines()[-1] == "1 passed, 1 failed"
    assert "warning: float cancellation at x" in strict.out


def test_digits_widens_the_table(cli, monkeypatch):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).parent.parent)
    six = cli("check", "samples/cs231n_staged.bp").out
    twelve = cli("check", "samples/cs231n_staged.bp", "--digits", "12").out
    assert " 0.512144 " in six and "0.51214444884" not in six
    assert "0.51214444884" in twelve
    assert cli("check", "samples/cs231n_staged.bp", "--digits", "0").code == 2


def _logistic_slope() -> float:
    with mpmath.workdps(60):
        return float(mpmath.exp(300) / (1 + mpmath.exp(300)) ** 2)  # d/dx of the logistic, independently


def test_eval_warns_in_the_table_and_in_both_json_documents(cli):
    args = ("exp(x)/(1+exp(x))", "x=300.0")
    want = f"float cancellation at x: the float gradient is 0.0, the true value {_logistic_slope():.4g}"
    table = cli("eval", *args)
    assert table.code == 0 and f"warning: {want}" in " ".join(table.out.split())
    for options in ((), ("--json", "summary")):
        doc = json.loads(cli("eval", *args, "--format", "json", *options).out)
        assert doc["floats"] == {"status": "lost", "note": want}
        assert doc["warnings"] == [want] and doc["gradients"] == {"x": 0.0}


def test_strict_floats_fails_eval_and_explain(cli):
    args = ("exp(x)/(1+exp(x))", "x=300.0")
    strict = cli("eval", *args, "--strict-floats", "--format", "json", "--json", "summary")
    assert strict.code == 1
    doc = json.loads(strict.out)
    assert doc["checks"]["failed"] == 1 and doc["failures"]["floats"]["count"] == 1
    assert cli("explain", *args, "--strict-floats").code == 1
    assert cli("explain", *args).code == 0


def test_explain_tells_the_cancellation_in_its_prose(cli):
    out = cli("explain", "exp(x)/(1+exp(x))", "x=300.0").out
    assert out.splitlines()[-1] == (
        f"Warning: float cancellation at x: the float gradient is 0.0, the true value {_logistic_slope():.4g}"
    )
    markdown = cli("explain", "exp(x)/(1+exp(x))", "x=300.0", "--format", "markdown").out
    assert "> **Warning:** float cancellation at x" in markdown
    latex = cli("explain", "exp(x)/(1+exp(x))", "x=300.0", "--format", "latex").out
    assert latex.splitlines()[-1].startswith("\\paragraph{Warning:} float cancellation at x")


def test_floats_that_kept_the_answer_pass_quietly(cli):
    args = ("x*y + sin(x)", "x=0.5", "y=2.0")
    assert "warning" not in cli("eval", *args).out
    doc = json.loads(cli("eval", *args, "--format", "json").out)
    assert doc["floats"] == {"status": "pass", "note": ""} and doc["warnings"] == []


def test_exact_programs_and_unchecked_runs_say_why_floats_were_not_taken_again(cli):
    exact = json.loads(cli("eval", "x*y", "x=3", "y=2", "--format", "json").out)
    assert exact["floats"]["status"] == "exact"
    unchecked = json.loads(cli("eval", "x*y", "x=3.0", "y=2", "--format", "json", "--no-check").out)
    assert unchecked["floats"] == {
        "status": "skip",
        "note": "floats not checked at 700 digits: the cross-check was not asked for",
    }


def test_a_program_beyond_the_node_cap_is_skipped_and_says_so(cli):
    from backpropcli.claims.floats import NODE_CAP

    text = "x = 0.5\nt0 = x\n" + "".join(f"t{k + 1} = t{k} * 1.0001\n" for k in range(NODE_CAP // 2 + 1))
    doc = json.loads(cli("eval", "-", "--format", "json", "--json", "summary", stdin=text).out)
    assert doc["floats"] == {
        "status": "skip",
        "note": f"floats not checked at 700 digits: the program has more than {NODE_CAP} nodes",
    }
    table = cli("eval", "-", stdin=text).out
    assert f"note: floats not checked at 700 digits: the program has more than {NODE_CAP} nodes" in table


def test_the_budget_bounds_the_second_look():
    from backpropcli.claims.floats import floats_kept

    graph = parse(SATURATED)
    values = forward(graph, {})
    found = floats_kept(graph, values, backward(graph, values), budget=-1.0)  # spent before it starts
    assert found.status == "skip" and found.note.endswith("the time budget ran out")


def test_a_single_sympy_power_past_the_budget_is_interrupted(cli):
    # (1/3)**10**9 leaves the exact range and goes on as a float; sympy would take minutes to raise
    # the exact rational at 700 digits: the shared --budget stops it and says so
    doc = json.loads(cli("eval", "x ** 1000000000", "x=1/3", "--budget", "1", "--format", "json").out)
    assert doc["floats"] == {"status": "skip", "note": "floats not checked at 700 digits: the time budget ran out"}


def test_digits_sets_eval_and_explain_precision(cli):
    # 1/3 as a float: 0.333333 at 6 digits, 0.333333333333 at 12, by hand
    six = cli("eval", "x/3", "x=1.0").out
    twelve = cli("eval", "x/3", "x=1.0", "--digits", "12").out
    assert "0.333333 " in six and "0.3333333333333" not in six
    assert "0.333333333333" in twelve
    assert "= 0.333333333333" in cli("explain", "x/3", "x=1.0", "--digits", "12").out
    assert cli("eval", "x/3", "x=1.0", "--digits", "0").code == 2
    assert cli("explain", "x/3", "x=1.0", "--digits", "18").code == 2


def test_a_value_sympy_cannot_compare_is_no_real_number_not_an_internal_error():
    # atan2(0, 0) is 0.0 in floats (math.atan2) and nan in sympy; cbrt's sympy expression then compares
    # that nan with 0, which sympy refuses (TypeError). The second look at 700 digits takes it as no real
    # number there, as it takes nan itself, and goes on to the nodes built from it
    from backpropcli import analyze

    report = analyze("x = 0\nt1 = atan2(x, x)\nt2 = cbrt(t1)\nt3 = t2 * 2 + exp(t2)\n")
    assert report.values[report.graph.ids["t1"]] == math.atan2(0.0, 0.0) == 0.0
    assert report.floats.status == "pass"
    assert math.isnan(report.gradient("x"))  # cbrt has no slope at 0
