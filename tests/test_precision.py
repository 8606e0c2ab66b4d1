"""Tiny, saturated and kinked gradients: judged by the scale of what made them, never by a fixed floor."""

from __future__ import annotations

import json
import math
from decimal import Decimal, localcontext

import pytest

from backpropcli import analyze
from backpropcli.autodiff import magnitudes, rounding_scale
from backpropcli.crosscheck import agree
from backpropcli.parse import parse


def _sigmoid_slope(x: int) -> float:
    with localcontext() as ctx:
        ctx.prec = 50
        q = Decimal(-x).exp()
        return float(q / (1 + q) ** 2)


def _tanh_slope(x: int) -> float:
    with localcontext() as ctx:
        ctx.prec = 50
        q = Decimal(-2 * x).exp()
        return float(4 * q / (1 + q) ** 2)


@pytest.mark.parametrize("x", [-800, -40, -3, 0, 3, 17, 19, 35, 37, 40, 300])
def test_saturated_sigmoid_and_tanh_keep_their_slope(x):
    # s*(1 - s) and 1 - t**2 from the rounded output leave nothing once s or t rounds to 1
    sig = analyze("sigmoid(x)", {"x": x})
    tanh = analyze("tanh(x)", {"x": x})
    for report, want in ((sig, _sigmoid_slope(x)), (tanh, _tanh_slope(x))):
        got = report.gradients["x"]
        assert got == pytest.approx(want, rel=1e-14, abs=0)
        assert report.checks.counts()[1] == 0, report.checks


def test_a_correct_program_with_a_saturated_unit_passes(cli):
    # was exit 1: the engine's slope 66613 against sympy's 63051
    out = cli("eval", "sigmoid(x)*k", "x=35", "k=1e20")
    assert out.code == 0, out
    assert "0 failed" in out.out


def test_a_wrong_gradient_far_below_one_is_still_wrong(cli):
    # a fixed floor of 1e-12 let 5e-14 pass for 1e-14
    for c in ("1e-14", "1/100000000000000"):
        out = cli("check", "-", stdin=f"x = 1\nc = {c}\nf = x*c\ndfdx = 5e-14\n")
        assert out.code == 1, out
        assert "wrong" in out.out


def test_a_right_gradient_far_below_one_passes(cli):
    out = cli("check", "-", stdin="x = 1\nc = 1e-14\nf = x*c\ndfdx = 1e-14\n")
    assert out.code == 0, out


def test_terms_that_cancel_are_judged_at_the_scale_of_the_terms(cli):
    # df/dx = 0.1 + 0.2 - 0.3: 5.6e-17 in the backward pass's order of summing, 2.8e-17 in exact binary
    out = cli("eval", "-", stdin="x = 0.1\nf = x*0.1 + x*0.2 - x*0.3\n")
    assert out.code == 0, out
    graph = parse("x = 0.1\nf = x*0.1 + x*0.2 - x*0.3\n")
    report = analyze("x = 0.1\nf = x*0.1 + x*0.2 - x*0.3\n")
    assert magnitudes(graph, report.back)[graph.ids["x"]] == pytest.approx(0.6)


def test_the_textbook_slope_in_a_claim_passes_where_it_cancels(cli):
    # 1 - a**2 at z = 19 is 2.2e-16 in floats against the true 1.26e-16: within its own rounding
    program = "z = 19\na = tanh(z)\nL = 3*a\ndLda = 3\ndLdz = dLda*(1 - a**2)\n"
    out = cli("check", "-", stdin=program)
    assert out.code == 0, out


def test_the_rounding_scale_follows_the_terms_a_formula_was_made_from():
    graph = parse("a = 0.999999\nf = 1 - a**2\n")
    values = analyze("a = 0.999999\nf = 1 - a**2\n", check=False).values
    scale = rounding_scale(graph, list(values))
    assert 2 <= scale <= 5  # the 1 and the a**2 (and its slope) it was made from, not the 2e-6 left
    assert rounding_scale(parse("x = 3\nf = x * 2\n"), [3, 2, 6]) == 0.0  # exact: no rounding at all


def test_agree_has_no_floor_but_the_subnormal_one():
    assert not agree(5e-14, 1e-14, 1e-9)
    assert agree(5.551115123125783e-17, 2.7755575615628914e-17, 1e-9, scale=0.6)
    assert agree(1e-320, 1.5e-320, 1e-9)  # subnormals have lost their relative precision
    assert not agree(0.0, 8.5e-17, 1e-9)
    # the terms' scale allows for their rounding (thousands of ulps), not for tol of them
    assert not agree(1e-11 + 5e-10, 1e-11, 1e-9, scale=1.0)
    assert agree(1e-11 + 1e-15, 1e-11, 1e-9, scale=1.0)


def test_a_tiny_wrong_gradient_deep_in_an_unrolled_network_is_caught(cli):
    # 17 one-unit sigmoid layers: dL/dw1 is about 2e-14; a step written with a stray factor 3 is wrong
    emitted = cli("mlp", "--layers", ",".join(["1"] * 17), "--input", "1", "--target", "1", "--emit", "-")
    assert emitted.code == 0, emitted
    lines = emitted.out.splitlines()
    bad = [("dLdw1_0_0 = 3*dLdz1_0*x0" if line.startswith("dLdw1_0_0 =") else line) for line in lines]
    assert bad != lines
    assert cli("check", "-", stdin=emitted.out).code == 0
    out = cli("check", "-", stdin="\n".join(bad) + "\n")
    assert out.code == 1, out
    assert "dLdw1_0_0" in out.out and "wrong" in out.out


@pytest.mark.parametrize("claim, code", [("-2", 0), ("0", 0), ("-1", 0), ("-3", 1), ("1", 1)])
def test_at_a_kink_the_one_sided_derivatives_themselves_pass(cli, claim, code):
    # relu at 0 under L = (a - 1)**2: from the right dL/dz is exactly -2 (a nudge gave -1.999999999998)
    out = cli("check", "-", stdin=f"z = 0\na = relu(z)\nL = (a - 1)**2\ndLdz = {claim}\n")
    assert out.code == code, out


def test_the_cross_check_gives_a_kink_its_exact_one_sided_derivatives(cli):
    out = cli("eval", "-", "--format", "json", stdin="z = 0\na = relu(z)\nL = (a - 1)**2\n")
    assert out.code == 0, out
    nodes = json.loads(out.out)["nodes"]
    z = nodes["name"].index("z")
    assert nodes["check"]["status"][z] == "kink"
    assert nodes["check"]["sympy_text"][str(z)] == "[-2, 0]"


@pytest.mark.parametrize("scale", [2.5505409233429366e-231, 1e-160, 1.0, 1e160])
def test_atan2_slopes_survive_tiny_and_huge_arguments(scale):
    """d atan2(y, x)/dy = x/(x**2 + y**2): x*x + y*y underflows to 0 below 1e-162 (no slope, said the
    engine, where the slope is 1/(2*scale)) and overflows above 1e154; mpmath at 50 digits is the oracle."""
    import mpmath

    y, x = 3 * scale, 4 * scale
    report = analyze("f = atan2(y, x)", {"y": y, "x": x})
    with mpmath.workdps(50):
        r2 = mpmath.mpf(x) ** 2 + mpmath.mpf(y) ** 2
        want = {"y": float(mpmath.mpf(x) / r2), "x": float(-mpmath.mpf(y) / r2)}
    for name, value in want.items():
        assert math.isclose(report.gradients[name], value, rel_tol=1e-14), (name, report.gradients, want)
    assert report.counts()[1] == 0
