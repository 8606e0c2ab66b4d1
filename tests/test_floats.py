"""Float honesty: where float arithmetic lost the answer, `check` says so (mpmath is the oracle)."""

from __future__ import annotations

import json

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
