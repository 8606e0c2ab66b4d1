"""Edges of the claim grader and the batch driver that the main test modules pass by: how files are
found, what --require-all reports, and the words of rarely reached verdicts. Each expected value is
worked out by hand."""

from __future__ import annotations

import os
from fractions import Fraction

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
    assert line.why.startswith("div(1, 0) divides by zero, so the line sends nothing back to x; its edges: through ")


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


FANOUT = "a = -2; b = 3\nd = a * b\ne = a + b\nf = d * e\ndfdd = e\ndfde = d\n"


def _sum_lines(text: str) -> list[tuple]:
    return [(r.part, r.verdict, r.written, r.true, r.why) for r in _graded(text) if r.part]


def test_a_sum_with_every_edge_and_one_line_too_many_is_wrong_and_says_by_how_much():
    # f = (ab)(a + b) at a = -2, b = 3: df/da = b*dfdd + dfde = 3 - 6 = -3; the extra 5 makes it 2
    lines = _sum_lines(FANOUT + "dfda += b * dfdd\ndfda += 1 * dfde\ndfda += 5\n")
    assert lines[-1] == ("sum", "wrong", 2, -3, "the lines add up to 2; the gradient is -3")


def test_a_sum_off_only_through_an_earlier_claim_is_inherited_from_it():
    # dfdd = 2 where df/dd = e = 1: the line through d sends 6, not 3, and the sum is 0, not -3
    results = [r for r in _graded(FANOUT.replace("dfdd = e", "dfdd = 2") + "dfda += b * dfdd\ndfda += 1 * dfde\n")]
    total = results[-1]
    assert (total.part, total.verdict, total.written, total.true) == ("sum", "inherited", 0, -3)
    assert [c.name for c in total.sources] == ["dfdd"]
    assert total.why == (
        "the step is right; it is off only because dfda (line 7) is off; the wrong step is dfdd (line 5)"
    )


def test_a_sum_missing_two_edges_names_both():
    # f = 3x + (x + 1) + x*x at x = 2: df/dx = 3 + 1 + 2x = 8; only the 3 is written
    text = "x = 2\nu = x * 3\nv = x + 1\nw = x * x\nf = u + v + w\ndfdu = 1\ndfdv = 1\ndfdw = 1\ndfdx += 3 * dfdu\n"
    assert _sum_lines(text)[-1] == (
        "sum",
        "incomplete",
        3,
        8,
        "x feeds 3 gates; the contribution through w = x * x (4) and the contribution through v = x + 1 (1) "
        "are missing",
    )


@pytest.mark.parametrize(
    "text",
    [
        "x = 0\nr = relu(x)\nf = r + 2*x\ndfdr = 1\ndfdx += 2\n",  # through r: anything in [0, 1]
        "x = 0\nr = relu(x)\nf = 2*x - r\ndfdx += 2\n",  # through r: anything in [-1, 0]
    ],
)
def test_a_sum_may_leave_out_an_edge_that_a_subgradient_sends_nothing_through(text):
    assert _sum_lines(text)[-1][:4] == ("sum", "correct", 2, 2)


def test_a_sum_must_not_leave_out_an_edge_that_every_subgradient_sends_something_through():
    # l = leaky_relu(x, 2) at x = 0 sends between 1/2 and 1 back through l/2; 3 through 3x
    lines = _sum_lines("x = 0; s = 2\nl = leaky_relu(x, s)\nf = l/2 + 3*x\ndfdx += 3\n")
    assert lines[-1] == (
        "sum",
        "incomplete",
        3,
        4,
        "x feeds 2 gates; the contribution through l = leaky_relu(x, s) (1) is missing",
    )


def test_a_sum_with_a_line_without_a_value_has_no_value():
    lines = _sum_lines("x = 2\nf = x * x\ndfdx = x\ndfdx += 1/(x - 2)\n")
    assert lines[-1] == ("sum", "wrong", None, 4, "the sum has no value: a line of it has none")


def _rows(text: str) -> list[tuple]:
    return [(r.part, r.verdict, r.written, r.true, r.how) for r in _graded(text) if r.part]


def test_a_line_that_no_edge_sends_is_compared_with_the_next_edge_not_yet_added():
    # the edges of a: through e (-6), then through d (3); 7 is neither, and when both are added,
    # an extra 5 has no edge left: its true contribution is 0
    rows = _rows(FANOUT + "dfda += 7\ndfda += b * dfdd\ndfda += 1 * dfde\ndfda += 5\n")
    assert rows == [
        ("adds", "wrong", 7, -6, "edge"),
        ("adds", "correct", 3, 3, "edge"),
        ("adds", "correct", -6, -6, "edge"),
        ("adds", "wrong", 5, 0, "edge"),
        ("sum", "wrong", 9, -3, "sum"),
    ]


def test_a_sum_may_start_at_zero():
    rows = _rows(FANOUT + "dfda = 0\ndfda += 1 * dfde\ndfda += b * dfdd\n")
    assert rows[0] == ("adds", "numeric", 0, 0, "value")
    assert [r.why for r in _graded(FANOUT + "dfda = 0\ndfda += 1 * dfde\ndfda += b * dfdd\n")][
        2
    ] == "the sum starts at 0"


def test_a_line_through_a_kink_may_send_any_share_and_says_so():
    # relu at 0 sends between 0 and 1 of dfdr = 1 back to x; 2.0 comes through 2x
    results = _graded("x = 0.0\nr = relu(x)\nf = r + 2.0*x\ndfdr = 1.0\ndfdx += 0.5\ndfdx += 2.0\n")
    assert [(r.verdict, r.written) for r in results[1:3]] == [("correct", 0.5), ("correct", 2.0)]
    assert results[1].why == "the contribution through r = relu(x) (0); at the kink any value in [0, 1]"
    # but a share outside [0, 1] is no edge's
    rows = _rows("x = 0\nr = relu(x)\nf = r + 2*x\ndfdr = 1\ndfdx += 5\ndfdx += 2\n")
    assert rows[0] == ("adds", "wrong", 5, 2, "edge")


def test_a_claim_can_use_a_sum_once_it_is_complete():
    # f = ab*... : a = 3x feeds d = a*b and f = d + a, so df/da = b + 1 = 4 and df/dx = 3 * 4 = 12
    text = "x = 2; b = 3\na = 3 * x\nd = a * b\nf = d + a\ndfdd = 1\ndfda += b * dfdd\ndfda += 1\ndfdx = 3 * dfda\n"
    last = _graded(text)[-1]
    assert (last.claim.name, last.verdict, last.written, last.true) == ("dfdx", "correct", 12, 12)


def test_a_line_of_a_sum_reading_an_unknown_name_is_an_error_of_its_own():
    rows = _rows("x = 2\nf = x * x\ndfdx = q\ndfdx += 2\n")
    assert rows[0] == ("adds", "error", None, 0, "")


def _losses(text: str) -> tuple[str, ...]:
    from backpropcli.autodiff import backward, forward
    from backpropcli.claims.floats import float_losses
    from backpropcli.parse import parse

    graph = parse(text)
    values = forward(graph, {})
    return float_losses(graph, values, backward(graph, values))


def test_float_losses_are_judged_from_the_floats_exact_binary_values():
    # 0.1 is 0.1000000000000000055511... in binary: 10x - 1 is 5.551e-17 exactly, and floats round it to 0
    assert _losses("x = 0.1\nf = x * 10 - 1") == (
        "float cancellation at f: the float value is 0.0, the true value 5.551e-17",
    )


def test_float_losses_name_only_named_nodes():
    # (x + 1) - x at x = 1e16 is 1 exactly but 0.0 in floats; the unnamed difference is not named
    assert _losses("x = 1e16\nf = ((x + 1) - x) * 2") == (
        "float cancellation at f: the float value is 0.0, the true value 2",
    )


def test_float_losses_show_three_and_count_the_rest():
    # a = 1, b = 3 exactly; floats give 0.0 and 4.0 (1e16 + 3 rounds to 1e16 + 4); f = ab and its gradients
    text = "x = 1e16\na = (x + 1) - x\nb = (x + 3) - x\nf = a * b"
    assert _losses(text) == (
        "float cancellation at a: the float value is 0.0, the true value 1; "
        "float cancellation at a: the float gradient is 4.0, the true value 3; "
        "float cancellation at b: the float value is 4.0, the true value 3 (and 2 more)",
    )
    # exactly three (a, b and c do not reach f = x): no count
    three = _losses("x = 1e16\na = (x + 1) - x\nb = (x + 3) - x\nc = (x + 5) - x\nf = x * 1.0")
    assert three == (
        "float cancellation at a: the float value is 0.0, the true value 1; "
        "float cancellation at b: the float value is 4.0, the true value 3; "
        "float cancellation at c: the float value is 4.0, the true value 5",
    )


def test_float_losses_are_checked_up_to_the_node_cap():
    from backpropcli.claims.floats import NODE_CAP

    # x + x + ... + x with NODE_CAP terms: the input and NODE_CAP - 1 sums, all exact in floats
    assert _losses("x = 0.5\nf = x" + " + x" * (NODE_CAP - 1)) == ()
    assert _losses("x = 0.5\nf = x" + " + x" * NODE_CAP) == (
        f"floats not checked at 700 digits: the program has more than {NODE_CAP} nodes",
    )


def _file(tmp_path, text: str) -> str:
    path = tmp_path / "p.bp"
    path.write_text(text)
    return str(path)


def test_grade_file_defaults_grade_at_1e_9_without_require_all_or_strict_floats(tmp_path):
    # f = x*y + ((x + 1) - x) at x = 1e16, y = 2.0: df/dx = y + 0 = 2 (floats: the same), a loss in the value
    path = _file(tmp_path, "x = 1e16; y = 2.0\nu = (x + 1) - x\nf = x * y + u\ndfdx = 2.000001\n")
    result = grade_file(path)
    assert [c.verdict for c in result.claims] == ["wrong"]  # 1e-6 off is more than 1e-9
    assert result.missing == () and result.float_failures == 0
    assert any(w.startswith("float cancellation at u") for w in result.warnings)
    strict = grade_file(path, require_all=True, strict_floats=True, tol=1e-5)
    assert [c.verdict for c in strict.claims] == ["numeric"] and strict.float_failures == 1
    assert [m.claim for m in strict.missing] == ["dfdy", "dfdu"]
    assert not any(w.startswith("float cancellation") for w in grade_file(path, symbolic=False).warnings)


def test_grade_file_takes_the_output_and_the_bindings(tmp_path):
    # u = 3x, f = u * e: with --output u, du/dx = 3; a binding of e shadows the constant e
    path = _file(tmp_path, "x = 2\nu = 3 * x\nf = u * e\ndudx = 3\n")
    result = grade_file(path, output="u")
    assert result.value == 6 and [c.verdict for c in result.claims] == ["numeric"]
    path = _file(tmp_path, "x = 2\nf = x * e\ndfdx = e\n")
    result = grade_file(path, bindings={"e": 5})
    assert result.error is None and result.value == 10 and [c.verdict for c in result.claims] == ["correct"]


def test_a_directory_named_dash_is_still_standard_input(tmp_path, monkeypatch):
    import io

    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").mkdir()
    (tmp_path / "-" / "a.bp").write_text("f = x\ndfdx = 1\n")
    assert expand(["-"]) == ["-"]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x = 2\nf = x * x\ndfdx = 2 * x\n")))
    result = grade_file("-")
    assert result.path == "<stdin>" and result.error is None and [c.verdict for c in result.claims] == ["correct"]


@pytest.mark.parametrize(
    ("text", "names", "out"),
    [
        ("x = 2\nf = x * 3\ny = 5\ndx = 3\n", "dx", "f"),  # the last named gate before dx: f, not the input y
        ("x = 2\ndx = 1\nf = x * 3\n", "dx", "x"),  # no gate before it: only the name it differentiates
        ("a = 1; b = 2; c = 3; d = 4\nf = a*b*c*d\nda = 1\ndb = 1\ndc = 1\ndd = 1\n", "da, db, dc, dd", "f"),
        (
            "a = 1; b = 2; c = 3; d = 4; e = 5\nf = a*b*c*d*e\nda = 1\ndb = 1\ndc = 1\ndd = 1\nde = 1\n",
            "da, db, dc, dd, ...",
            "f",
        ),
    ],
)
def test_a_file_without_claims_names_the_short_claims_it_may_hold(text, names, out):
    from backpropcli.grading import NO_CLAIMS, _warnings
    from backpropcli.parse import parse

    assert _warnings(parse(text)) == (
        f"{NO_CLAIMS}: {names} read as forward code; if they are short-name claims (d<node> for d{out}/d<node>), "
        f"add the line `# backprop: output {out}` or pass --output {out}",
    )


def test_a_name_that_only_starts_with_d_is_not_a_short_claim():
    from backpropcli.grading import NO_CLAIMS, _warnings
    from backpropcli.parse import parse

    assert _warnings(parse("x = 1\ndelta = x * 2\n")) == (NO_CLAIMS,)


def test_two_missing_gradients_are_listed_together(tmp_path):
    # x**n + x**m at x = -2.0: d/dn and d/dm need log(-2); df/dx = 3x**2 + 2x = 8 exists
    result = grade_file(_file(tmp_path, "x = -2.0; n = 3; m = 2\nf = x**n + x**m\ndfdx = 3*x**2 + 2*x\n"))
    assert [c.verdict for c in result.claims] == ["correct"]
    assert result.warnings == (
        "df/dn, df/dm do not exist here: pow(-2.0, 2) has no finite derivative here, so the gradient does not "
        "exist; every other gradient does",
    )


@pytest.mark.parametrize(
    "text",
    [
        "x = 2\nf = 3 * x * x\ndfdx = 6 * x\n",  # integer literals as sympy integers
        "x = 2.0\nf = 0.5 * x * x\ndfdx = x\n",  # a float literal as a sympy float: 2 * 0.5 x = x
        "x = 1.0\nf = sin(x) * 2\ndfdx = 2 * cos(x)\n",  # a gate right after the input it reads
        "x = 3\nf = x * x * x\ndfdx = 3 * abs(x) * abs(x)\n",  # |x|**2 = x**2 only for a real x
        "x = 2\nf = x" + " + 1" * 60 + "\ndfdx = x / x\n",  # depth 60: within the cap
    ],
)
def test_sympy_proves_a_right_formula_where_the_program_is_small(text):
    (r,) = _graded(text)
    assert (r.verdict, r.how) == ("correct", "sympy")


def test_past_the_depth_cap_a_right_formula_is_sampled_instead():
    (r,) = _graded("x = 2\nf = x" + " + 1" * 61 + "\ndfdx = x / x\n")  # depth 61
    assert (r.verdict, r.how) == ("correct", "sampled")


def test_a_formula_too_deep_for_sympy_is_still_caught_as_a_coincidence():
    # 2acd + 0 + 0 + ... (61 additions) equals bcd = 24 at (1, 2, 3, 4) only
    (r,) = _graded("a = 1.0; b = 2.0; c = 3.0; d = 4.0\nf = a*b*c*d\ndfda = a*c*d*2" + " + 0" * 61 + "\n")
    assert (r.verdict, r.how) == ("coincidence", "sampled")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        # the lecture's f = (w + x*y) z: dv/dx = y, and df/dv, unclaimed, is named by its claim's spelling
        (
            "w = 5; x = 3; y = 2; z = 4\nv = x * y\nu = w + v\nf = u * z\ndfdx = 5\n",
            "v = x * y, so dv/dx = y and dfdx should be y * dfdv = 8",
        ),
        # a name is a factor as it stands, whatever its letters
        (
            "wX = 5; x = 3\nv = x * wX\nf = v * 2\ndfdx = 5\n",
            "v = x * wX, so dv/dx = wX and dfdx should be wX * dfdv = 10",
        ),
        # a negated operand is put in parentheses: 1/(-y), not 1/-y
        (
            "x = 3; y = 2\nv = x / -y\nf = v * 2\ndfdx = 5\n",
            "v = x / -y, so dv/dx = 1/(-y) and dfdx should be 1/(-y) * dfdv = -1",
        ),
        # a difference keeps the parentheses it was typed with
        (
            "x = 3; y = 2\nv = x * (y-1)\nf = v * 2\ndfdx = 5\n",
            "v = x * (y-1), so dv/dx = (y-1) and dfdx should be (y-1) * dfdv = 2",
        ),
    ],
)
def test_a_wrong_step_is_told_the_chain_rule_with_factors_grouped(text, why):
    (r,) = _graded(text)
    assert (r.verdict, r.why) == ("wrong", why)


def test_within_the_one_sided_derivatives_mixes_exact_and_float_bounds_with_slack():
    from backpropcli.crosscheck import within

    assert within(1, 0, 0.9999999999, 1e-9)  # 1e-10 past a float bound: inside the slack
    assert within(0, 1e-10, 1, 1e-9)
    assert not within(1, 0, 0.999, 1e-9)
    assert not within(0.5, float("nan"), 1, 1e-9) and not within(0.5, 0, float("nan"), 1e-9)


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        # g reads x but does not reach f: it is no edge of x, and the one edge left is f's
        (
            "x = 2\ng = x * 5\nf = x * 3\ndfdx += 3\n",
            [("adds", "correct", 3, 3), ("sum", "correct", 3, 3, "the sum of 1 line, one per edge")],
        ),
        # through relu at 0 and then *3 and *2: any share of 1 * 3 * 2 between 0 and 6
        ("x = 0; y = 1\nf = (relu(x) * 3) * 2 + y\ndfdx += 6\n", [("adds", "correct", 6, 0), ("sum", "correct", 6, 0)]),
        # an edge's float value in six significant digits
        (
            "x = 2.0\nf = x * 1e-7\ndfdx += 1\n",
            [
                (
                    "adds",
                    "wrong",
                    1,
                    1e-07,
                    "1 is what no single edge sends back to x; its edges: through f = x * 1e-7 (1e-07)",
                ),
                ("sum", "incomplete", 1, 1e-07),
            ],
        ),
    ],
)
def test_the_edges_of_a_node_are_what_each_gate_that_reads_it_sends_back(text, rows):
    found = [(r.part, r.verdict, r.written, r.true, r.why) for r in _graded(text) if r.part]
    assert [row[: len(want)] for row, want in zip(found, rows, strict=True)] == rows


def test_a_tiny_sum_off_through_an_earlier_claim_is_not_forgiven_as_rounding():
    # f = (xb)(x + b) at x = b = 1e-13: df/dd = e = 2e-13, not 2e; the sum is 5e-26 where df/dx = 3e-26,
    # far beyond the rounding of terms of that size
    text = "x = 1e-13; b = 1e-13\nd = x * b\ne = x + b\nf = d * e\ndfdd = 2*e\ndfde = d\n"
    text += "dfdx += b * dfdd\ndfdx += 1 * dfde\n"
    total = _graded(text)[-1]
    assert (total.part, total.verdict, total.written, total.true) == ("sum", "inherited", 5e-26, 3e-26)


def test_a_kink_in_floats_is_taken_at_the_engines_subgradient_not_sympys():
    # relu'(0) is 0 in the engine, 1/2 for sympy (Heaviside(0)): no float lost anything here
    assert _losses("x = 0.0; y = 3.0\nf = relu(x) * y") == ()


def test_an_inherited_claim_names_its_wrong_steps_in_program_order():
    # f = uv with u = ab, v = a + b at (2, 3): both dfdu and dfdv are doubled; dfda reads dfdv first
    text = "a = 2; b = 3\nu = a * b\nv = a + b\nf = u * v\ndfdu = 2 * v\ndfdv = 2 * u\ndfda = dfdv + b * dfdu\n"
    r = _graded(text)[-1]
    assert (r.verdict, [c.name for c in r.sources]) == ("inherited", ["dfdu", "dfdv"])
    assert r.why == (
        "the step is right; it is off only because dfdv (line 6), dfdu (line 5) are off; "
        "the wrong step is dfdu (line 5), dfdv (line 6)"
    )


def test_a_sum_line_without_a_value_beside_a_kink_matches_no_edge():
    # 1/x has no value at x = 0; relu(x) at 0 sends anything in [0, 1]: still nothing matches
    lines = _sum_lines("x = 0\nr = relu(x)\nf = r + 2*x\ndfdr = 1\ndfdx += 1/x\n")
    assert lines[0][:3] == ("adds", "wrong", None)


def test_require_all_lists_a_gradient_that_does_not_exist_without_a_value(tmp_path):
    # x**n at x = -2.0: df/dn = x**n log(x) needs the log of a negative number, so it has no value;
    # df/dx = n x**(n-1) = 12.0 exists
    result = grade_file(_file(tmp_path, "x = -2.0; n = 3\nf = x**n\n"), require_all=True, symbolic=False)
    assert [(m.claim, m.kind, m.true) for m in result.missing] == [("dfdx", "input", 12.0), ("dfdn", "input", None)]


def _graded_at(text: str, tol: float) -> list:
    from backpropcli.autodiff import forward
    from backpropcli.claims.grade import grade
    from backpropcli.claims.partial import backward_or_partial
    from backpropcli.parse import parse

    graph = parse(text, graded=True)
    values = forward(graph, {})
    back, reason = backward_or_partial(graph, values)
    return list(grade(graph, values, back, tol, True, reason))


SMALL_TIE = "x = 3.0; y = 3.0; z = 0.25\nm = max(x, y)\nf = m * z\n"


@pytest.mark.parametrize(
    ("claims", "ok"),
    [
        ("dfdx = 0.25\ndfdy = 5e-10\n", [True, True]),  # 0.2500000005: within 1e-9 of 0.25
        ("dfdx = 0.25\ndfdy = 1.5e-9\n", [True, False]),  # 0.2500000015: not
    ],
)
def test_claims_at_a_tie_of_values_below_one_share_an_absolute_tolerance(claims, ok):
    # 0.25 arrives at max(x, y) at x = y: the shares must add up to 0.25 within tol * max(1, |values|) = 1e-9
    assert [r.ok for r in _graded(SMALL_TIE + claims)] == ok


RELU_CHAIN = "x = 0.0\nr = relu(x)\ns = relu(r)\nf = s + {k}*x\ndfdr = 0\ndfdx = {claim}\n"


@pytest.mark.parametrize(
    ("k", "claim", "tol", "ok"),
    [
        (1000, "1000.0000005", 1e-9, True),  # 5e-7 off 1000: within 1e-9 relative
        (1000, "1000.000002", 1e-9, False),  # 2e-6 off: not
        (10, "11.05", 0.1, True),  # 1.05 off 10: within a tenth of the larger, 11.05
        (10, "9.05", 0.1, True),  # 0.95 off 10: within a tenth of the larger, 10
        (10, "11.2", 0.1, False),  # 1.2 off: not
    ],
)
def test_a_claim_that_a_later_kink_leaves_one_value_is_held_to_it_relative_to_the_larger(k, claim, tol, ok):
    # f = relu(relu(x)) + kx at 0: dfdr = 0 takes the outer slope 0, so df/dx = k + 0 * t = k, whatever
    # slope t the inner relu takes; alone, dfdx may lie anywhere in [k, k + 1]
    results = _graded_at(RELU_CHAIN.format(k=k, claim=claim), tol)
    assert [r.ok for r in results] == [True, ok]
    if not ok:
        assert (results[1].verdict, results[1].how) == ("wrong", "kink")
        assert results[1].why.endswith(f"with dfdr = 0 (line 5), dfdx should be {k}")


HEAD4 = "at the kink of m = max(x, y, z, v) (the tie x = y = z = v = 3), the claims must fit one subgradient: "


@pytest.mark.parametrize(
    ("text", "why"),
    [
        # shares a, b, c of the 2 at max(x, y, z), x also straight to f: df/dx = 2a + 1 = 2 gives a = 1/2,
        # df/dy = 2b = 3/2 gives b = 3/4, and a + b > 1; b is not yet fixed by dfdx alone
        (
            "x = 3; y = 3; z = 3\nm = max(x, y, z)\nf = 2 * m + x\ndfdx = 2\ndfdy = 3/2\n",
            "at the kink of m = max(x, y, z) (the tie x = y = z = 3), the claims must fit one subgradient: "
            "dfdy = 3/2 fits none that dfdx = 2 (line 4) fits",
        ),
        # shares a, b, c, d of 2, x and y also straight to f: a = 1/2, b = 1/4 leave c <= 1/4, not 1/2
        (
            "x = 3; y = 3; z = 3; v = 3\nm = max(x, y, z, v)\nf = 2 * m + x + y\ndfdx = 2\ndfdy = 3/2\ndfdz = 1\n",
            HEAD4 + "dfdz = 1 fits none that dfdx = 2 (line 4), dfdy = 3/2 (line 5) fit",
        ),
        # w feeds x and z: df/dw = 2a + 2c = 1 and df/dz = 2c = 0 give a = 1/2, so df/dx = 2a is not 0
        (
            "w = 3; y = 3; v = 3\nx = w * 1\nz = w * 1\nm = max(x, y, z, v)\nf = 2 * m\ndfdw = 1\ndfdz = 0\ndfdx = 0\n",
            HEAD4 + "dfdx = 0 fits none that dfdw = 1 (line 6), dfdz = 0 (line 7) fit",
        ),
    ],
)
def test_a_claim_that_fits_no_split_the_claims_before_it_allow_names_them(text, why):
    results = _graded(text)
    assert [r.ok for r in results] == [True] * (len(results) - 1) + [False]
    assert (results[-1].verdict, results[-1].how, results[-1].why) == ("wrong", "kink", why)


@pytest.mark.parametrize("claims", ["dfdx = -1e-9\ndfdy = 2.0\n", "dfdx = 2.0\ndfdy = -1e-9\n"])
def test_float_claims_at_a_tie_may_round_a_share_of_zero_below_zero(claims):
    # the split (2, 0) of the 2 arriving at max(x, y), with -1e-9 for 0: within tol of it
    assert [r.ok for r in _graded(FLOAT_TIE + claims)] == [True, True, True]


def test_claims_that_leave_a_tie_open_hold_nothing_below_it():
    # shares a, b, c of the 2 at max(x, y, z), y = relu(u) + 3 with slope t at u = 0: df/dx = 2a = 1 fixes a = 1/2
    # only; df/du = 2bt = 1 holds with b = 1/2, c = 0, t = 1, so no split the tie allows may be assumed for u
    text = "x = 3; u = 0; z = 3\ny = relu(u) + 3\nm = max(x, y, z)\nf = 2 * m\ndfdx = 1\ndfdu = 1\n"
    assert [(r.ok, r.interval) for r in _graded(text)] == [(True, (0, 2)), (True, (0, 2))]


def test_a_claim_whose_other_branch_needs_a_missing_slope_leaves_the_others_judged_together():
    # p = x**n + 8 = 0 at x = -2.0, n = 3, r = relu(p) with slope s: df/dn = s x**n log(x) needs log(-2) unless
    # s = 0 (the backward pass's choice, so dfdn = 0 holds alone); dfdp = s = 1, so df/dx = s * 3x**2 = 12, not 0
    results = _graded("x = -2.0; n = 3\np = x**n + 8\nr = relu(p)\nf = r * 1\ndfdp = 1\ndfdn = 0\ndfdx = 0\n")
    assert [r.ok for r in results] == [True, True, False]
    assert results[-1].why == (
        "at the kink of r = relu(p), the claims must fit one subgradient: with dfdp = 1 (line 5), dfdx should be 12"
    )


def test_the_one_sided_derivatives_at_a_kink_keep_every_other_kink_on_its_side():
    # relu(x) + relu(x - 5) at x = 0: from the left 0 + 0, from the right 1 + 0 (x - 5 stays below 0)
    (r,) = _graded("x = 0\nf = relu(x) + relu(x - 5)\ndfdx = 2\n")
    assert (r.verdict, r.interval) == ("wrong", (0, 1))


def test_a_slope_too_large_for_a_float_is_an_error_even_where_a_zero_upstream_skips_it(tmp_path):
    import math
    import sys
    from fractions import Fraction

    # d/dx log2(x) = 1/(x ln 2) at the smallest float, 5e-324: past the largest float; relu(-1074) sends
    # nothing back through it, but a slope that exists and does not fit a float is not a missing one
    assert 1 / (Fraction(5e-324) * Fraction(math.log(2))) > sys.float_info.max
    result = grade_file(_file(tmp_path, "x = 5e-324\nq = log2(x)\nf = relu(q) * 2 + x\ndfdx = 1\n"))
    assert result.claims == () and result.error is not None
    assert result.error.message == "log2(5e-324): a local derivative is too large for a float"


def test_float_losses_stop_at_checks_time_budget_and_say_so(monkeypatch):
    # the same loss as above, with a budget that has run out before the second look begins
    monkeypatch.setattr("backpropcli.claims.floats.BUDGET", 1e-9)
    assert _losses("x = 0.1\nf = x * 10 - 1") == ("floats not checked at 700 digits: the time budget ran out",)


def test_a_claim_off_through_earlier_claims_that_each_hold_says_they_make_it_off():
    # f = 3x - 2.999999x: df/du = 1 and df/dx = 3 * df/du - 2.999999 = 1/1000000. dfdu = 1.0000000005 is within
    # 1e-9 of 1, but dfdx's cancellation makes 3 * 1.0000000005 - 2.999999 = 1.0015e-6, 0.15% off
    text = "x = 1\nu = x * 3\nv = x * 2999999/1000000\nf = u - v\n"
    text += "dfdu = 1.0000000005\ndfdx = 3 * dfdu - 2999999/1000000\n"
    dfdu, dfdx = _graded(text)
    assert (dfdu.verdict, dfdx.verdict, dfdx.true) == ("numeric", "inherited", Fraction(1, 1000000))
    assert dfdx.written == pytest.approx(1.0015e-6, rel=1e-6)
    assert dfdx.why == "the step is right; the earlier claims it uses make its value off"


@pytest.mark.parametrize("formula", ["2 + sqrt(x - 1)", "2 + sqrt(1 - x)"])
def test_a_formula_undefined_on_one_side_of_the_point_is_still_caught_on_the_other(formula):
    # f = 2x at x = 1: df/dx = 2, and so is the formula here; just above (or below) 1 it is 2 + sqrt(|x - 1|)
    (r,) = _graded(f"x = 1\nf = 2 * x\ndfdx = {formula}\n")
    assert (r.verdict, r.how) == ("coincidence", "sampled")
    point, _, mine, truth = _witness_numbers(r.why)
    assert truth == 2 and mine == pytest.approx(2 + abs(point["x"] - 1) ** 0.5, rel=1e-4)


@pytest.mark.parametrize(("factor", "verdict"), [("3.0", "inherited"), ("2.5", "wrong")])
def test_a_sum_line_reading_a_claim_without_a_value_is_judged_by_its_step_at_its_own_scale(factor, verdict):
    # f = 1e-15 * u, u = 3x: df/du = 1e-15 and the edge of x through u sends 3e-15. dfdu has no value, so the
    # line's step is taken with df/du itself: 3 * df/du is that edge, 2.5 * df/du (5e-16 short) is none
    text = f"x = 1.0\nu = x * 3.0\nf = u * 1e-15\ndfdu = 1/(x - 1.0)\ndfdx += dfdu * {factor}\n"
    line = next(r for r in _graded(text) if r.part == "adds")
    assert (line.verdict, line.written, line.true) == (verdict, None, pytest.approx(3e-15, rel=1e-12))


def test_grade_by_default_samples_instead_of_asking_sympy_and_holds_floats_to_1e_9():
    from backpropcli.autodiff import backward, forward
    from backpropcli.claims.grade import grade
    from backpropcli.parse import parse

    # f = x*x + y at (1.5, 2.0): df/dx = 2x, df/dy = 1, and 1.000001 is 1e-6 off, far beyond 1e-9
    graph = parse("x = 1.5; y = 2.0\nf = x * x + y\ndfdx = 2 * x\ndfdy = 1.000001\n", graded=True)
    values = forward(graph, {})
    assert [(r.verdict, r.how) for r in grade(graph, values, backward(graph, values))] == [
        ("correct", "sampled"),
        ("wrong", ""),
    ]


def test_local_claims_at_a_tie_that_does_not_reach_the_output_are_still_judged_together():
    # m = max(x, y) at x = y feeds nothing on the way to f, so f's backward pass meets no kink; m's own does:
    # dm/dx and dm/dy share the 1 that m passes, so they cannot both be 1
    results = _graded("x = 3; y = 3\nm = max(x, y)\nf = x * 2\ndmdx = 1\ndmdy = 1\n")
    assert [(r.ok, r.how) for r in results] == [(True, "value"), (False, "kink")]


def test_claims_below_as_many_kinks_as_are_judged_together_are_judged_together():
    from backpropcli.claims.joint import MAX_GATES

    # relu(relu(...relu(x))) at 0, MAX_GATES deep: dfdr{n-1} = 0 takes the outermost slope 0, so every
    # gradient below it is 0 whatever the other slopes are
    n = MAX_GATES
    chain = "".join(f"r{i} = relu(r{i - 1})\n" for i in range(2, n + 1))
    results = _graded(f"x = 0\nr1 = relu(x)\n{chain}f = r{n} + 0\ndfdr{n - 1} = 0\ndfdr{n - 2} = 1\n")
    assert [r.ok for r in results] == [True, False]
    assert results[-1].why.endswith(f"with dfdr{n - 1} = 0 (line {n + 3}), dfdr{n - 2} should be 0")


def test_a_tie_too_wide_to_judge_together_leaves_the_other_kinks_judged():
    # max(a, ..., e) at a five-way tie has 10 branch slopes, past MAX_BRANCHES: its claims are judged alone;
    # the tie of two beside it still passes 1 in total, not dfdx + dfdy = 2
    text = "x = 3; y = 3; a = 1; b = 1; c = 1; d = 1; e = 1\np = max(x, y)\nm = max(a, b, c, d, e)\nf = p + m\n"
    results = _graded(text + "dfdx = 1\ndfdy = 1\n")
    assert [r.ok for r in results] == [True, False]
    assert results[-1].why.endswith("p passes 1 on in total; dfdx + dfdy = 2")


def test_a_claim_using_a_claim_that_reads_an_unknown_name_has_no_value_and_inherits():
    # f = 3x + y: df/dx = 3, df/dy = 1; dfdy = dfdx - 2 is the right step (3 - 2), but dfdx has no value
    dx, dy = _graded("x = 2; y = 1\nf = 3 * x + y\ndfdx = q * 3\ndfdy = dfdx - 2\n")
    assert (dx.verdict, dy.verdict, dy.written, dy.true) == ("error", "inherited", None, 1)
    assert [c.name for c in dy.sources] == ["dfdx"]


def test_a_claim_using_a_claim_whose_gradient_does_not_exist_takes_its_written_value():
    # x**n at x = -2.0: df/dn needs log(-2) and does not exist; dfdn = 0 is still written as 0, so dfdn + 12 is 12
    dn, dx = _graded("x = -2.0; n = 3\nf = x**n\ndfdn = 0\ndfdx = dfdn + 12\n")
    assert (dn.verdict, dn.written, dn.true) == ("undefined", 0, None)
    assert (dx.written, dx.true) == (12, 12.0)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("x = 2\nf = x * x", "exact"),  # no float anywhere: nothing to lose
        ("x = 0.5\nf = x * x", "pass"),  # 0.25 and 2x = 1.0 are exact in binary
        ("x = 0.1\nf = x * 10 - 1", "lost"),  # 5.551e-17 exactly, 0.0 in floats
    ],
)
def test_the_second_look_at_floats_says_what_it_found(text, status):
    from backpropcli.autodiff import backward, forward
    from backpropcli.claims.floats import floats_kept
    from backpropcli.parse import parse

    graph = parse(text)
    values = forward(graph, {})
    assert floats_kept(graph, values, backward(graph, values)).status == status


def test_a_gradient_past_the_largest_float_is_an_error_not_a_partial_pass(tmp_path):
    import sys

    # f = abc at (1e-300, 1e200, 1e200) is 1e100, but df/da = bc = 1e400 is past the largest float
    assert sys.float_info.max < 10**400
    result = grade_file(_file(tmp_path, "a = 1e-300; b = 1e200; c = 1e200\nf = a * b * c\ndfdb = a * c\n"))
    assert result.claims == () and result.error is not None
    assert result.error.message == "the gradient at a overflows a float"


def test_the_total_at_a_tie_is_written_as_the_claims_were_a_float_when_one_is():
    # max(x, y) at x = y = 3.0 passes 1.5 on in total; the claims 0.7 and 0.9 sum to 1.6 as floats,
    # which is how the message writes it (not as the exact sum of their binary values)
    results = _graded("x = 3.0; y = 3.0\np = max(x, y)\nf = p * 1.5\ndfdx = 0.7\ndfdy = 0.9\n")
    assert [r.ok for r in results] == [True, False]
    assert results[-1].why.endswith(f"p passes 1.5 on in total; dfdx + dfdy = {0.7 + 0.9}")
    # exact claims keep their exact total
    results = _graded("x = 3; y = 3\np = max(x, y)\nf = p * 3/2\ndfdx = 1/2\ndfdy = 5/4\n")
    assert results[-1].why.endswith("p passes 3/2 on in total; dfdx + dfdy = 7/4")


@pytest.mark.parametrize(
    ("upstream", "claim"),
    [
        ("0.25", "0.2500000005"),  # 5e-10 above [0, 0.25], whose slack is 1e-9 * max(1, 0, 0.25) = 1e-9
        ("0.25", "0.2500000015"),  # 1.5e-9 above it
        ("0.25", "-5e-10"),
        ("1000.0", "-5e-7"),  # 5e-7 below [0, 1000]: the slack is 1e-9 * 1000 = 1e-6, from the interval's far end
        ("1000.0", "-2e-6"),
        ("1000.0", "1000.0000005"),
        ("1000.0", "1000.000002"),
        ("-1000.0", "5e-7"),  # [-1000, 0]: the slack is 1e-6 again
        ("-1000.0", "2e-6"),
        ("1/4", "0.2500000005"),  # an exact interval, a float claim: still the slack
        ("1/4", "2500000005/10000000000"),  # all exact: none
    ],
)
def test_a_lone_claim_at_a_one_argument_kink_is_judged_jointly_with_the_interval_checks_slack(upstream, claim):
    # relu(x) at x = 0 sends back any share in [0, 1] of what arrives: alone, df/dx may be anything
    # between 0 and the upstream, with the interval check's slack (tol * max(1, |ends|); none where all is
    # exact), and the joint check, which finds that share, may not hold the claim to less
    point = "0" if "/" in upstream else "0.0"
    (r,) = _graded(f"x = {point}; z = {upstream}\nr = relu(x)\nf = r * z\ndfdx = {claim}\n")
    low, high = sorted((Fraction(0), Fraction(upstream)))
    exact = "/" in upstream and "/" in claim
    slack = Fraction(0) if exact else Fraction(1e-9) * max(1, abs(low), abs(high))
    inside = low - slack <= Fraction(claim) <= high + slack
    assert (r.ok, r.interval) == (inside, (low, high))
    assert r.how != "kink"  # a claim the interval check passes is not failed by the joint check


def test_a_lone_claim_that_fits_no_subgradient_is_told_the_interval_without_naming_other_claims():
    from dataclasses import replace

    from backpropcli.autodiff import backward, forward
    from backpropcli.claims.joint import jointly
    from backpropcli.parse import parse

    # the joint check handed a claim as the interval check would pass it, but 0.3 past relu(0)'s [0, 0.25]
    # (0.25 arriving): no share of the 0.25 gives it, and no other claim is there to name
    graph = parse("x = 0.0; z = 0.25\nr = relu(x)\nf = r * z\ndfdx = 0.3\n", graded=True)
    values = forward(graph, {})
    back = backward(graph, values)
    (claim,) = _graded("x = 0.0; z = 0.25\nr = relu(x)\nf = r * z\ndfdx = 0.25\n")
    passed = replace(claim, claim=graph.claims[0], written=0.3)
    (judged,) = jointly(graph, values, {graph.output: back}, [passed], 1e-9)
    assert (judged.verdict, judged.how) == ("wrong", "kink")
    assert judged.why == (
        "at the kink of r = relu(x), the claims must fit one subgradient: dfdx must lie in [0.0, 0.25]"
    )


@pytest.mark.parametrize(
    ("text", "factor"),
    [
        # dfdn is written 0, so dfdx = dfdn + 12 is written 12; its step needs df/dn itself, which does not exist
        ("x = -2.0; n = 3\nf = x**n\ndfdn = 0\ndfdx = dfdn + 12\n", 1),
        ("x = -2.0; n = 3\nf = x**n\ndfdn = 0\ndfdx = dfdn * 1 + 12\n", 1),
        # dfdn as written has no value either (log(-2)): the step is told about the gradient, not the float
        ("x = -2.0; n = 3\np = x**n\nf = p * 2\ndfdp = 2\ndfdn = dfdp * p * log(x)\ndfdx = dfdn * 0 + 24\n", 2),
    ],
)
def test_a_claim_whose_step_uses_a_gradient_that_does_not_exist_is_told_so(text, factor):
    import sympy

    # f = factor * x**n at x = -2, n = 3: df/dn = factor x**n log(x) is not real, df/dx = factor n x**(n-1) is
    x, n = sympy.symbols("x n")
    assert sympy.diff(factor * x**n, n).subs({x: -2, n: 3}).is_real is False
    true = float(sympy.diff(factor * x**n, x).subs({x: -2, n: 3}))
    *_, dn, dx = _graded(text)
    assert (dn.verdict, dx.verdict, dx.true, dx.step) == ("undefined", "wrong", true, None)
    assert dx.why.startswith("it uses dfdn, a gradient that does not exist here; ")
    assert "overflows" not in dx.why


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        # f = x**n + relu(w) at w = 0: relu sends back 0 from the left and 1 from the right; the missing
        # slope d/dn of x**n at x = -2 is on no way from w to f
        ("x = -2.0; n = 3; w = 0.0\np = x**n\nf = p + relu(w)\ndfdw = {claim}\n", (0, 1)),
        # f = relu(x**n + 8) at x = -2, n = 3: 0 from the left, 3x**2 = 12 from the right; d/dn is still missing
        ("x = -2.0; n = 3\np = x**n\nf = relu(p + 8)\ndfdx = {claim}\n", (0, 12)),
    ],
)
def test_a_slope_missing_elsewhere_leaves_the_one_sided_derivatives_at_a_kink(text, interval):
    import sympy

    x = sympy.Symbol("x")
    assert sympy.diff(x**3 + 8, x).subs(x, -2) == 12  # the right slope of relu(x**3 + 8) at -2, times 1
    low, high = interval
    for claim in (low, (low + high) / 2, high):
        (r,) = [r for r in _graded(text.format(claim=claim)) if r.verdict != "undefined"]
        assert (r.ok, r.interval) == (True, interval)
    (r,) = [r for r in _graded(text.format(claim=high + 1)) if r.verdict != "undefined"]
    assert (r.ok, r.interval) == (False, interval)


def test_a_one_sided_derivative_that_needs_a_missing_slope_is_left_out_of_the_interval():
    # f = relu(sqrt(x) + y) at x = y = 0: from the right df/dx = 1/(2 sqrt(x)) grows without bound and from
    # the left sqrt has no value, so only the backward pass's own subgradient (relu's slope 0) is left;
    # df/dy is 0 from the left and 1 from the right
    dx, dy = _graded("x = 0; y = 0\nf = relu(sqrt(x) + y)\ndfdx = 0\ndfdy = 1\n")
    assert [(r.ok, r.interval) for r in (dx, dy)] == [(True, (0, 0)), (True, (0, 1))]


def test_a_sum_line_whose_step_uses_a_gradient_that_does_not_exist_is_told_so():
    # f = x**n + x at x = -2, n = 3: df/dn needs log(-2) and does not exist; the one edge into x sends
    # n x**(n-1) + 1 = 13, and a line dfdn + 1 reads a gradient that is not there
    lines = [r for r in _graded("x = -2.0; n = 3\nf = x**n + x\ndfdn = 0\ndfdx = 13\ndfdx += dfdn + 1\n") if r.part]
    assert [(r.part, r.verdict) for r in lines] == [("adds", "correct"), ("adds", "wrong"), ("sum", "wrong")]
    assert lines[1].why == (
        "it uses dfdn, a gradient that does not exist here, so the line sends nothing back to x; "
        "its edges: through f = x**n + x (13)"
    )


@pytest.mark.parametrize(
    ("k", "off"),
    [
        (1000, Fraction(0)),
        (1000, Fraction(1, 10**7)),  # exact: 1/10**7 off is off, whatever the tolerance
        (2**2000, Fraction(0)),  # past the largest float: still compared, exactly
        (2**2000, Fraction(1, 2)),
    ],
    ids=["1000", "1000 + 1/10**7", "2**2000", "2**2000 + 1/2"],
)
def test_an_exact_claim_that_a_later_kink_leaves_one_value_is_held_to_it_exactly(k, off):
    # f = relu(relu(x)) + kx at x = 0: dfdr = 0 takes the outer slope 0, so df/dx = k exactly; alone,
    # dfdx may lie anywhere in [k, k + 1], so only the joint check can hold it to k
    claim = f"{k} + {off.numerator}/{off.denominator}"
    results = _graded(RELU_CHAIN.format(k=k, claim=claim).replace("x = 0.0", "x = 0"))
    assert [r.ok for r in results] == [True, off == 0]
    assert (results[1].written, results[1].interval) == (k + off, (k, k + 1))
    if off:
        assert (results[1].verdict, results[1].how) == ("wrong", "kink")


@pytest.mark.parametrize(("claim", "ok"), [("0.2500000005", True), ("0.2500000015", False)])
def test_a_float_claim_that_a_later_kink_leaves_one_value_below_one_has_an_absolute_tolerance(claim, ok):
    # f = relu(relu(x)) + x/4 at x = 0.0 with dfdr = 0: df/dx = 0.25 exactly; the slack is
    # tol * max(1, 0.25, claim) = 1e-9, so 5e-10 off passes and 1.5e-9 off does not
    assert (abs(float(claim) - 0.25) <= 1e-9 * max(1.0, 0.25, float(claim))) == ok
    results = _graded(RELU_CHAIN.format(k=0.25, claim=claim))
    assert [r.ok for r in results] == [True, ok]


@pytest.mark.parametrize(
    ("claim", "ok"),
    [
        ("0.5", True),  # a float inside [0, 2**2000]
        ("-1e300", True),  # below 0 by far less than tol * 2**2000 (about 1e593): the slack of the interval's size
        ("2**2000", True),  # exactly its end
        ("2**2000 + 1", False),  # exact numbers are held exactly: no slack
        ("-1", False),
    ],
)
def test_an_interval_past_the_float_range_is_compared_without_overflow(claim, ok):
    # relu at 0 times 2**2000: df/dx may be any value in [0, 2**2000] (by hand), an end no float can hold
    (r,) = _graded(f"x = 0; z = 2**2000\nr = relu(x)\nf = r * z\ndfdx = {claim}\n")
    assert r.interval == (0, 2**2000)
    assert r.ok is ok


def test_a_sample_where_the_true_gradient_does_not_exist_is_no_evidence_against_a_claim():
    # f = dx * ceil(ceil(x)) at x = -2, dx = 0: the claims say what holds wherever the gradient exists
    # (ceil's slope is 0 off its jumps). A nearby sample can land where ceil(t1) jumps (t1 = ceil(x) is
    # a whole number everywhere), and there the true gradient is nan: no evidence either way, not a
    # sign that the claim holds "right here only"
    from backpropcli import analyze

    program = (
        "dx = 0; x = -2\nt1 = ceil(x)\nt2 = ceil(t1)\nf = dx * t2\n"
        "dfddx = t2\ndfdt2 = dx\ndfdt1 = 0 * dfdt2\ndfdx = 0 * dfdt1\n"
    )
    report = analyze(program, check=False)
    assert [(c.claim.name, c.verdict) for c in report.claims if not c.ok] == []
    assert len(report.claims) == 4
