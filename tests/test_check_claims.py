"""Grading hand-written backward passes: every verdict on small programs whose gradients are worked out by hand."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from backpropcli.autodiff import backward, forward
from backpropcli.claims.grade import grade
from backpropcli.claims.partial import backward_or_partial
from backpropcli.errors import InputError
from backpropcli.parse import parse

ROOT = Path(__file__).parent.parent
CASES = Path(__file__).parent / "cases"
LECTURE = """\
w = 5; x = 3; y = 2; z = 4
v = x * y
u = w + v
f = u * z
"""


def graded(text: str, symbolic: bool = True) -> dict:
    graph = parse(text)
    values = forward(graph, {})
    back, reason = backward_or_partial(graph, values)  # as check does: a missing slope spoils only what needs it
    return {r.claim.name: r for r in grade(graph, values, back, 1e-9, symbolic, reason)}


def test_the_lecture_backward_pass_is_correct_line_by_line():
    results = graded((ROOT / "samples" / "lecture27.bp").read_text())
    # the lecture's numbers: f = (w + x*y) * z at 5, 3, 2, 4
    assert {name: r.true for name, r in results.items()} == {
        "dfdu": 4,
        "dfdz": 11,
        "dfdw": 4,
        "dfdv": 4,
        "dfdx": 8,
        "dfdy": 12,
    }
    assert all(r.verdict == "correct" and r.ok and r.written == r.true for r in results.values())


def test_a_wrong_step_says_what_the_local_rule_gives():
    r = graded(LECTURE + "dfdu = z\ndfdv = dfdu\ndfdx = x * dfdv\n")["dfdx"]
    assert (r.verdict, r.ok, r.written, r.true) == ("wrong", False, 12, 8)
    assert r.why == "v = x * y, so dv/dx = y and dfdx should be y * dfdv = 8"


def test_a_right_step_after_a_wrong_line_is_inherited_and_names_that_line():
    results = graded((ROOT / "samples" / "lecture27_slip.bp").read_text())
    # f = u + z: every true gradient is 1 except dv/dx = y = 2 and dv/dy = x = 3
    assert [r.verdict for r in results.values()] == [
        "wrong",
        "wrong",
        "inherited",
        "inherited",
        "inherited",
        "inherited",
    ]
    assert results["dfdu"].why == "f = u + z, so df/du = 1 and dfdu should be 1"
    dfdx = results["dfdx"]
    assert (dfdx.written, dfdx.step, dfdx.true, dfdx.ok) == (8, 2, 2, False)
    assert [c.name for c in dfdx.sources] == ["dfdu"]
    assert "dfdv (line 10) is off" in dfdx.why and "the wrong step is dfdu (line 7)" in dfdx.why


def test_a_formula_right_only_at_this_point_is_a_coincidence():
    results = graded((CASES / "check_coincidence.bp").read_text())
    # x = y = 2: x * dfdv and y * dfdv are both 6, but d(x*y)/dx is y
    coincidence, correct = results["dfdx"], results["dfdy"]
    assert (coincidence.written, coincidence.true, coincidence.verdict, coincidence.ok) == (6, 6, "coincidence", False)
    assert coincidence.why.startswith("right here only: near this point (x = ")
    assert correct.verdict == "correct" and correct.ok


def test_coincidence_is_found_by_samples_alone_too():
    result = graded((CASES / "check_coincidence.bp").read_text(), symbolic=False)["dfdx"]
    assert (result.verdict, result.how) == ("coincidence", "sampled")


@pytest.mark.parametrize(("answer", "verdict"), [("12", "numeric"), ("11", "wrong"), ("24 / 2", "numeric")])
def test_a_plain_number_is_judged_by_its_value(answer, verdict):
    result = graded(LECTURE + f"dfdy = {answer}\n")["dfdy"]
    assert (result.verdict, result.ok) == (verdict, verdict == "numeric")


def test_verdicts_case_by_hand():
    results = graded((CASES / "check_verdicts.bp").read_text())
    # x = y = 2, z = 3: v = 4, u = 7, f = 21; z feeds u and f, so df/dz = u + z = 10
    expected = {
        "dfdu": ("correct", 3, 3),
        "dfdz": ("wrong", 7, 10),
        "dfdv": ("wrong", 6, 3),
        "dfdx": ("inherited", 12, 6),
        "dfdy": ("numeric", 6, 6),
    }
    assert {n: (r.verdict, r.written, r.true) for n, r in results.items()} == expected
    assert results["dfdz"].why == (
        "u = v + z and f = u * z, so du/dz = 1, df/dz = u and dfdz should be 1 * dfdu + u = 10"
    )


def test_a_right_value_from_a_wrong_step_fails():
    results = graded(LECTURE + "dfdu = 2 * z\ndfdw = dfdu / 2\n")
    result = results["dfdw"]
    assert (result.written, result.true, result.step, result.verdict) == (4, 4, 2, "wrong")
    assert result.why.startswith("the value is right only because this step cancels an earlier error")


@pytest.mark.parametrize(
    ("answer", "ok"), [("0", True), ("1", True), ("2", True), ("1/2", True), ("3", False), ("-1", False)]
)
def test_at_a_relu_kink_any_value_between_the_one_sided_derivatives_passes(answer, ok):
    # f = 2*relu(a) at a = 0: the slope is 0 on the left and 2 on the right
    result = graded(f"a = 0\nr = relu(a)\nf = 2 * r\ndfda = {answer}\n")["dfda"]
    assert result.ok is ok
    assert result.interval == (0, 2)


def test_a_max_tie_accepts_the_subgradients_and_refuses_beyond():
    results = graded((CASES / "check_kinks.bp").read_text())
    assert results["dfdb"].interval == (0, 1) and results["dfdb"].ok
    assert results["dfdb"].true == Fraction(1, 2)
    assert results["dfdc"].verdict == "wrong"
    assert "should be (1 if c is the largest else 0) * dfdm = 1/2" in results["dfdc"].why


def test_samples_stay_on_the_winning_side_of_a_max():
    results = graded(
        (ROOT / "samples" / "max_router.bp").read_text() + "dfdm = z\ndfdy = dfdm\ndfdx = 0\n", symbolic=False
    )
    # sympy's derivative is z*Heaviside(y - x): only points with y > x may be compared
    assert (results["dfdy"].verdict, results["dfdy"].how) == ("correct", "sampled")
    assert results["dfdx"].verdict == "numeric"


def test_a_fan_out_message_sums_every_edge():
    result = graded("x = 3\ns = x * x\nf = s + x\ndfds = 1\ndfdx = 2 * x * dfds\n")["dfdx"]
    # d(x*x + x)/dx = 2x + 1 = 7; the claim forgot the direct edge
    assert (result.written, result.true) == (6, 7)
    assert result.why.endswith("dfdx should be (x + x) * dfds + 1 = 7")


def test_claims_about_the_output_and_about_a_node_that_does_not_reach_it():
    results = graded("x = 3\nq = x * 2\nf = x * x\ndfdf = 2\ndfdq = 1\n")
    assert results["dfdf"].why == "f is the output, so dfdf should be 1"
    assert results["dfdq"].why == "q does not reach f, so dfdq should be 0"


def test_a_formula_without_a_value_is_wrong_and_the_line_using_it_inherits():
    results = graded(LECTURE + "dfdu = z / (x - 3)\ndfdw = 1 * dfdu\n")
    assert results["dfdu"].written is None and results["dfdu"].verdict == "wrong"
    assert "divides by zero" in results["dfdu"].why
    assert results["dfdw"].verdict == "inherited" and results["dfdw"].step == 4


def test_sympy_and_samples_give_the_same_verdicts():
    for path in [*sorted(CASES.glob("check_*.bp")), ROOT / "samples" / "lecture27_slip.bp"]:
        text = path.read_text()
        proved = graded(text, symbolic=True)
        sampled = graded(text, symbolic=False)
        assert [r.verdict for r in proved.values()] == [r.verdict for r in sampled.values()], path.name
        assert all(r.how != "sympy" for r in sampled.values())


def test_float_programs_compare_within_tolerance():
    text = (ROOT / "samples" / "sigmoid_neuron.bp").read_text()
    claims = (
        "dfdg = -1 / g**2\ndfde = dfdg\ndfdd = -e * dfde\ndfdc = dfdd\ndfdw2 = dfdd\n"
        "dfda = dfdc\ndfdw0 = x0 * dfda\ndfdx0 = w0 * dfda\n"
    )
    for symbolic in (True, False):
        results = graded(text + claims, symbolic)
        assert all(r.verdict == "correct" for r in results.values()), symbolic
    # CS231n's numbers for this neuron: dw0 = -0.2, dx0 = 0.39 (to two places)
    assert round(results["dfdw0"].true, 2) == -0.2 and round(results["dfdx0"].true, 2) == 0.39


def test_the_same_program_meets_the_same_sample_points():
    text = (CASES / "check_coincidence.bp").read_text()
    assert graded(text, symbolic=False)["dfdx"].why == graded(text, symbolic=False)["dfdx"].why


def test_a_long_chain_is_graded_without_recursion():
    lines = ["x = 1", "v0 = x * 1"] + [f"v{i} = v{i - 1} + x" for i in range(1, 3000)]
    text = "\n".join(lines) + "\nf = v2999 * 1\ndfdv2999 = 1\ndfdv2998 = dfdv2999\ndfdx = 3000\n"
    results = graded(text)
    assert results["dfdx"].true == 3000 and results["dfdx"].ok
    assert results["dfdv2998"].verdict == "correct"


def test_eval_still_fails_on_a_wrong_claim_and_keeps_sympy_out_without_checks():
    code = (
        "import sys; from backpropcli import analyze; "
        "r = analyze(open(sys.argv[1]).read(), check=False); "
        "print(r.ok, [c.verdict for c in r.claims], 'sympy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "samples" / "wrong_backward.bp")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "False ['correct', 'correct', 'correct', 'correct', 'wrong', 'correct'] False"


def test_a_step_inside_a_statement_is_followed_up_to_its_name():
    results = graded("x = 0.5; y = 2\nv = sin(x) * y + x\nf = v * v\ndfdv = 2 * v\ndfdx = cos(x) * dfdv\n")
    result = results["dfdx"]
    # d/dx (sin(x)*y + x)**2 = 2v * (y*cos(x) + 1)
    assert math.isclose(result.true, 2 * (2 * math.sin(0.5) + 0.5) * (2 * math.cos(0.5) + 1))
    assert result.why.startswith(
        "v = sin(x) * y + x, so dv/dx = cos(x) * y + 1 and dfdx should be (cos(x) * y + 1) * dfdv = "
    )


def test_a_statement_is_quoted_with_its_parentheses():
    result = graded("a = 1; b = 2; c = 3; d = 4\nf = (a + b) * (c + d)\ndfda = 1\n")["dfda"]
    assert result.why == "f = (a + b) * (c + d), so df/da = (c + d) and dfda should be (c + d) = 7"


@pytest.mark.parametrize(
    "program, where",
    [
        ("x = 3; y = 2\nf = x * y\ndLdx = y\ndLdy = x\n", (3, 1)),  # the output is f, not L
        ("x = 3; y = 2\nf = x * y\ndfdx = y\ndgdy = 5\n", (4, 1)),  # a plain number, about no output
        ("x = 3\nf = x * x\ndL_dx = 2 * x\n", (3, 1)),
    ],
)
def test_a_claim_named_after_an_output_the_program_lacks_is_an_error(program, where):
    # as a forward line it would pass silently, or become the output and leave no claims to grade
    with pytest.raises(InputError) as caught:
        parse(program)
    assert "reads as a gradient claim" in caught.value.message
    assert (caught.value.where.line, caught.value.where.col) == where


def test_a_forward_name_that_reads_like_a_claim_is_fine_when_it_is_used():
    graph = parse("x = 3\ndxdt = x * 2\nf = dxdt + 1\n")
    assert graph.nodes[graph.output].name == "f"


def test_local_gradients_are_claims_identified_by_their_pair():
    """`dudw = 1` is du/dw, not a second claim about w; later claims may use it."""
    results = graded((ROOT / "samples" / "lecture27_local.bp").read_text())
    # by hand: u = w + v so du/dw = du/dv = 1; v = x * y so dv/dx = y = 2, dv/dy = x = 3
    assert [results[n].true for n in ("dudw", "dudv", "dvdx", "dvdy")] == [1, 1, 2, 3]
    assert [results[n].true for n in ("dfdw", "dfdv", "dfdx", "dfdy")] == [4, 4, 8, 12]
    assert all(r.ok for r in results.values())


def test_either_order_of_a_local_gradient_and_the_chain_line_is_read_by_pair():
    after = graded(LECTURE + "dfdu = z\ndfdw = 1 * dfdu\ndudw = 1\n")
    before = graded(LECTURE + "dfdu = z\ndudw = 1\ndfdw = dudw * dfdu\n")
    assert [r.ok for r in after.values()] == [r.ok for r in before.values()] == [True, True, True]


def test_a_wrong_local_rule_names_the_gate():
    r = graded((ROOT / "samples" / "lecture27_local_slip.bp").read_text())
    assert (r["dvdx"].verdict, r["dvdx"].written, r["dvdx"].true) == ("wrong", 3, 2)
    assert r["dvdx"].why == "v = x * y, so dv/dx = y and dvdx should be y = 2"
    assert r["dfdx"].verdict == "inherited" and "dvdx (line 15)" in r["dfdx"].why


def test_a_local_gradient_through_several_gates_is_the_partial_through_the_graph():
    # u = w + x*y: du/dx = y = 2, through the anonymous product; f does not matter
    r = graded(LECTURE + "dudx = y\ndvdw = 0\n")
    assert (r["dudx"].true, r["dudx"].verdict) == (2, "correct")
    assert (r["dvdw"].true, r["dvdw"].verdict) == (0, "numeric")  # v does not depend on w


def rows_of(text: str) -> list[tuple[str, str, str]]:
    graph = parse(text)
    values = forward(graph, {})
    return [(r.claim.name, r.part, r.verdict) for r in grade(graph, values, backward(graph, values), 1e-9, True)]


FANOUT = "a = -2; b = 3\nd = a * b\ne = a + b\nf = d * e\ndfdd = e\ndfde = d\n"


def test_each_plus_equals_line_is_one_edge_and_the_sum_is_graded_after_the_last():
    # by hand: f = (a*b)(a+b); df/da = b*e + d = 3 - 6 = -3, through d: 3*1 = 3, through e: -6
    results = graded_all(FANOUT + "dfda += b * dfdd\ndfda += 1 * dfde\n")
    lines = [r for r in results if r.claim.name == "dfda"]
    assert [(r.part, r.verdict, r.written, r.true) for r in lines] == [
        ("adds", "correct", 3, 3),
        ("adds", "correct", -6, -6),
        ("sum", "correct", -3, -3),
    ]
    assert lines[0].why == "the contribution through d = a * b (3)"
    assert lines[1].why == "the contribution through e = a + b (-6)"


def test_a_sum_may_start_with_an_assignment_or_at_zero():
    staged = graded_all(FANOUT + "dfda = b * dfdd\ndfda += 1 * dfde\n")
    zeroed = graded_all(FANOUT + "dfda = 0\ndfda += 1 * dfde\ndfda += b * dfdd\n")
    assert [r.verdict for r in staged if r.claim.name == "dfda"] == ["correct", "correct", "correct"]
    assert (zeroed[2].verdict, zeroed[2].why) == ("numeric", "the sum starts at 0")
    assert zeroed[-1].part == "sum" and zeroed[-1].ok


def test_a_missing_contribution_is_named_by_its_edge():
    results = graded_all(FANOUT + "dfda += b * dfdd\n")
    total = results[-1]
    assert (total.part, total.verdict, total.written, total.true) == ("sum", "incomplete", 3, -3)
    assert total.why == "a feeds 2 gates; the contribution through e = a + b (-6) is missing"


def test_a_contribution_counted_twice_is_named_and_fails_the_sum():
    results = graded_all(FANOUT + "dfda += b * dfdd\ndfda += 1 * dfde\ndfda += b * dfdd\n")
    assert [r.verdict for r in results[2:]] == ["correct", "correct", "duplicate", "wrong"]
    assert results[4].why == "the contribution through d = a * b (3) was already added on line 7"
    assert results[5].written == 0 and "counted twice" in results[5].why


def test_a_line_that_is_no_edge_is_wrong_and_lists_the_edges():
    r = graded_all(FANOUT + "dfda += a * dfdd\ndfda += 1 * dfde\n")[2]
    assert (r.verdict, r.written) == ("wrong", -2)
    edges = "through e = a + b (-6), through d = a * b (3)"
    assert r.why == f"-2 is what no single edge sends back to a; its edges: {edges}"


def test_a_contribution_off_only_through_an_earlier_claim_is_inherited():
    results = graded_all(FANOUT.replace("dfdd = e", "dfdd = 2") + "dfda += b * dfdd\ndfda += 1 * dfde\n")
    assert [r.verdict for r in results] == ["wrong", "correct", "inherited", "correct", "inherited"]


def test_the_micrograd_fanout_samples_name_the_missing_and_the_twice_counted_edge():
    ok = graded_all((ROOT / "samples" / "micrograd_fanout.bp").read_text())
    assert all(r.ok for r in ok) and [r.part for r in ok].count("sum") == 2
    missing = graded_all((ROOT / "samples" / "micrograd_fanout_missing.bp").read_text())
    assert [r.verdict for r in missing if not r.ok] == ["incomplete"]
    twice = graded_all((ROOT / "samples" / "micrograd_fanout_twice.bp").read_text())
    assert [r.verdict for r in twice if not r.ok] == ["duplicate", "wrong"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x = 1\nx += 2\n", "augmented assignment is not allowed: x is not a gradient claim"),
        (FANOUT + "dfda = 1\ndfda = 2\n", "dfda is claimed twice: on line 7 and line 8 (to add a contribution, write"),
        (FANOUT + "dfda += 1\ndf_da = 1\n", "df_da: df/da is already claimed on line 7"),
    ],
)
def test_accumulation_errors(text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        parse(text)


def graded_all(text: str) -> list:
    graph = parse(text)
    values = forward(graph, {})
    return list(grade(graph, values, backward(graph, values), 1e-9, True))
