"""Edges of the claim grader and the batch driver that the main test modules pass by: how files are
found, what --require-all reports, and the words of rarely reached verdicts. Each expected value is
worked out by hand."""

from __future__ import annotations

import os

import pytest

from backpropcli.grading import expand, grade_file


def test_a_link_to_a_directory_is_not_followed(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.bp").write_text("f = x\ndfdx = 1\n")
    try:
        os.symlink(tmp_path / "sub", tmp_path / "link", target_is_directory=True)
        os.symlink(tmp_path, tmp_path / "sub" / "up", target_is_directory=True)  # a loop back up
    except OSError:
        pytest.skip("symbolic links are not available here")
    assert expand([str(tmp_path)]) == [str(tmp_path / "sub" / "a.bp")]


def test_require_all_shows_a_float_gradient_that_has_no_claim(tmp_path):
    program = tmp_path / "p.bp"
    program.write_text("x = 1.5\nf = x * x\n")  # df/dx = 2x = 3.0
    result = grade_file(str(program), require_all=True, symbolic=False)
    assert [(m.claim, m.kind, m.true) for m in result.missing] == [("dfdx", "input", 3.0)]


def _graded(text: str) -> list:
    from backpropcli.autodiff import forward
    from backpropcli.claims.grade import grade
    from backpropcli.claims.partial import backward_or_partial
    from backpropcli.parse import parse

    graph = parse(text, graded=True)
    values = forward(graph, {})
    back, reason = backward_or_partial(graph, values)
    return list(grade(graph, values, back, 1e-9, True, reason))


def test_a_claim_reading_an_unknown_name_keeps_its_true_gradient_and_says_why():
    # f = 3x at x = 2: df/dx = 3, whatever the line reads
    (r,) = _graded("x = 2\nf = 3 * x\ndfdx = q * 3\n")
    assert (r.verdict, r.written, r.true) == ("error", None, 3)
    assert r.why == "unknown name q in a gradient claim" and not r.ok


def test_a_sum_line_for_a_node_without_edges_lists_none():
    # y feeds nothing on the way to f: no edge sends it anything, so a line of 1 matches none
    results = _graded("x = 2; y = 3\nf = 3 * x\ndfdy = 0\ndfdy += 1\n")
    line = [r for r in results if r.part == "adds"][1]
    assert line.verdict == "wrong"
    assert line.why == "1 is what no single edge sends back to y; its edges: none"


def test_a_sum_line_without_a_value_is_nothing_that_any_edge_sends():
    # f = x*x at x = 2 has two edges of 2 each; a line dividing by 0 has no value at all
    results = _graded("x = 2\nf = x * x\ndfdx = x\ndfdx += 1/(x - 2)\n")
    line = [r for r in results if r.part == "adds"][1]
    assert line.verdict == "wrong" and line.written is None
    assert line.why.startswith("nothing is what no single edge sends back to x; its edges: through ")


def test_claims_at_the_kink_of_an_unnamed_gate_name_it_by_its_text():
    # r = relu(p) at p = a*b = 0, upstream 1: dfdp = 0 takes the slope 0, so df/da = b*0 = 0, not 2
    results = _graded("a = 0; b = 2\np = a * b\nf = relu(p) * 1\ndfdp = 0\ndfda = 2\n")
    assert [(r.verdict, r.written, r.true) for r in results] == [("numeric", 0, 0), ("wrong", 2, 0)]
    assert results[1].why == (
        "at the kink of relu(p), the claims must fit one subgradient: with dfdp = 0 (line 4), dfda should be 0"
    )


def test_a_claim_whose_gradient_does_not_exist_and_reads_an_unknown_name():
    # x**n at x = -2.0: d/dn = x**n log(x) needs the log of a negative number
    (r,) = _graded("x = -2.0; n = 3\nf = x**n\ndfdn = q\n")
    assert (r.verdict, r.written, r.true) == ("undefined", None, None)
    assert (
        r.why == "df/dn does not exist here: pow(-2.0, 3) has no finite derivative here, so the gradient does not exist"
    )


def test_a_missing_gradient_without_a_stated_reason_says_a_slope_is_missing():
    from backpropcli.autodiff import forward
    from backpropcli.claims.grade import grade
    from backpropcli.claims.partial import backward_or_partial
    from backpropcli.parse import parse

    graph = parse("x = -2.0; n = 3\nf = x**n\ndfdx = 12.0\ndfdn = 0\n")
    values = forward(graph, {})
    back, _ = backward_or_partial(graph, values)
    dx, dn = grade(graph, values, back, 1e-9, True)  # the reason left out
    assert (dx.verdict, dn.verdict) == ("numeric", "undefined")  # df/dx = 3x**2 = 12
    assert dn.why == "df/dn does not exist here: a slope on the way is missing"


def _witness_numbers(why: str) -> tuple[dict[str, float], bool, float, float]:
    import re

    found = re.fullmatch(
        r"right here only: near this point \((.*?)(, \.\.\.)?\) it gives (\S+) where the true gradient is (\S+)", why
    )
    assert found, why
    point = {name: float(v) for name, v in (pair.split(" = ") for pair in found.group(1).split(", "))}
    return point, found.group(2) is not None, float(found.group(3)), float(found.group(4))


def test_a_coincidence_names_the_nearby_point_where_the_formula_differs():
    # f = abcd at (1, 2, 3, 4): df/da = bcd = 24, and so is the wrong formula 2acd, but only here
    (r,) = _graded("a = 1.0; b = 2.0; c = 3.0; d = 4.0\nf = a*b*c*d\ndfda = a*c*d*2\n")
    assert r.verdict == "coincidence"
    point, more, mine, truth = _witness_numbers(r.why)
    assert list(point) == ["a", "b", "c", "d"] and not more
    assert all(abs(point[k] - v) <= 0.01 * v for k, v in zip("abcd", (1, 2, 3, 4), strict=True))  # within 1%
    assert mine == pytest.approx(2 * point["a"] * point["c"] * point["d"], rel=1e-4)
    assert truth == pytest.approx(point["b"] * point["c"] * point["d"], rel=1e-4)


def test_a_coincidence_shows_four_inputs_of_five_and_says_there_are_more():
    # f = abcde at (1, 2, 3, 4, 5): df/da = bcde = 120 = 2acde here only
    (r,) = _graded("a = 1.0; b = 2.0; c = 3.0; d = 4.0; e = 5.0\nf = a*b*c*d*e\ndfda = a*c*d*e*2\n")
    assert r.verdict == "coincidence"
    point, more, _, _ = _witness_numbers(r.why)
    assert list(point) == ["a", "b", "c", "d"] and more


TIE = "x = 3; y = 3; z = 2\nm = max(x, y)\nf = m * z\ndfdm = z\n"
FLOAT_TIE = "x = 3.0; y = 3.0; z = 2.0\nm = max(x, y)\nf = m * z\ndfdm = z\n"


@pytest.mark.parametrize(
    ("claims", "ok"),
    [
        ("dfdx = 2.0\ndfdy = 0.0\n", [True, True]),  # shares of 2.0 arriving at max(x, y) at x = y
        ("dfdx = 0.5\ndfdy = 1.5\n", [True, True]),
        ("dfdx = 2.0\ndfdy = 1e-9\n", [True, True]),  # 2.000000001: within tol of 2
        ("dfdx = 0.0\ndfdy = 1.999999999\n", [True, True]),  # 1.999999999: the same from the other end
        ("dfdx = 2.0\ndfdy = 3e-9\n", [True, False]),  # 2.000000003: not
        ("dfdx = 2.0\ndfdy = 2.0\n", [True, False]),
        ("dfdx = 1.0\ndfdy = 0.5\n", [True, False]),
    ],
)
def test_float_claims_at_a_tie_must_split_the_upstream_once(claims, ok):
    results = _graded(FLOAT_TIE + claims)
    assert [r.ok for r in results[1:]] == ok
    if not ok[-1]:
        assert (results[-1].verdict, results[-1].how) == ("wrong", "kink")


def test_an_exact_and_a_float_claim_at_a_tie_are_one_split():
    # 2/3 to x and 4/3 (as a float) to y: together the 2 that arrived
    results = _graded(TIE + "dfdx = 2/3\ndfdy = 1.3333333333333333\n")
    assert [r.ok for r in results] == [True, True, True]
    results = _graded(TIE + "dfdx = 1.3333333333333333\ndfdy = 2/3\n")
    assert [r.ok for r in results] == [True, True, True]


def test_a_local_claim_and_the_output_claims_at_one_tie_are_judged_apart():
    # dm/dx = 1: m's subgradient sends all to x; then df/dx = 2 * 1 = 2 and df/dy = 0 agree with it
    results = _graded(TIE + "dmdx = 1\ndfdx = 2\ndfdy = 0\n")
    assert [r.ok for r in results] == [True, True, True, True]


def test_a_wrong_claim_at_a_tie_does_not_fix_the_split_for_the_others():
    # dfdx = 5 is outside [0, 2] on its own: wrong; dfdy = 0 is then judged without it
    results = _graded(TIE + "dfdx = 5\ndfdy = 0\n")
    assert [r.ok for r in results] == [True, False, True]


def test_a_claim_that_both_branches_agree_on_does_not_end_the_joint_check():
    # w reaches the tie through x and y at once: df/dw = 2 whichever wins; x and y still share 2
    results = _graded("w = 3; z = 2\nx = w * 1\ny = w * 1\nm = max(x, y)\nf = m * z\ndfdw = 2\ndfdx = 2\ndfdy = 2\n")
    assert [r.ok for r in results] == [True, True, False]


def test_a_tie_of_two_beside_a_lower_argument_splits_between_the_two():
    # max(x, y, z) with x = y = 3 > z = 1, upstream 2: z gets nothing; x and y share the 2
    text = "x = 3; y = 3; z = 1\nm = max(x, y, z)\nf = 2 * m\n"
    assert [r.ok for r in _graded(text + "dfdx = 2\ndfdy = 0\ndfdz = 0\n")] == [True, True, True]
    assert [r.ok for r in _graded(text + "dfdx = 2\ndfdy = 2\ndfdz = 0\n")] == [True, False, True]


def test_a_three_way_tie_passes_a_split_of_the_upstream():
    # shares (1/2, 1/2, 0) of the 2 arriving at max(x, y, z) with x = y = z: one subgradient
    text = "x = 3; y = 3; z = 3\nm = max(x, y, z)\nf = 2 * m\n"
    assert [r.ok for r in _graded(text + "dfdx = 1\ndfdy = 1\ndfdz = 0\n")] == [True, True, True]


def test_a_one_sided_derivative_outside_the_domain_leaves_the_other_side():
    # relu(x) + x**1.5 at x = 0: from the right the slope is 1 + 0; from the left x**1.5 is undefined,
    # so the interval is the right side's slope and the backward pass's own subgradient, 0 + 0
    (r,) = _graded("x = 0.0\nf = relu(x) + x**1.5\ndfdx = 0.5\n")
    assert r.ok and r.interval == (0.0, 1.0)
