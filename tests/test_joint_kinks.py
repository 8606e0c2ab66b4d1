"""Claims at one kink must fit ONE subgradient of its gate; eval's cross-check applies the same rule."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from backpropcli import ops
from backpropcli.autodiff import backward, forward
from backpropcli.claims.grade import grade
from backpropcli.crosscheck import crosscheck
from backpropcli.parse import parse

SAMPLES = Path(__file__).parent.parent / "samples"
TIE = "x = 3; y = 3; z = 2\nm = max(x, y)\nf = m * z\ndfdm = z\n"


def graded(text: str) -> list:
    graph = parse(text)
    values = forward(graph, {})
    return list(grade(graph, values, backward(graph, values), 1e-9, True))


@pytest.mark.parametrize(
    ("claims", "ok"),
    [
        ("dfdx = 2\ndfdy = 0\n", [True, True]),  # the whole upstream to x
        ("dfdx = 1\ndfdy = 1\n", [True, True]),  # split evenly (the engine's choice)
        ("dfdx = 1/2\ndfdy = 3/2\n", [True, True]),  # any non-negative split of 2
        ("dfdx = 2\ndfdy = 2\n", [True, False]),  # "max sends the full gradient to both": 4 where 2 arrived
        ("dfdx = 0\ndfdy = 0\n", [True, False]),  # nothing at all: 0 where 2 arrived
        ("dfdx = 1\ndfdy = 2\n", [True, False]),
    ],
)
def test_claims_at_a_tie_must_split_the_upstream_once(claims, ok):
    results = graded(TIE + claims)
    assert [r.ok for r in results[1:]] == ok


def test_the_tie_misconception_names_the_gate_and_the_rule():
    r = graded((SAMPLES / "max_tie_both.bp").read_text())[-1]
    assert r.verdict == "wrong"
    assert r.why == (
        "at the kink of m = max(x, y) (the tie x = y = 3), the claims must fit one subgradient: "
        "m passes 2 on in total; dfdx + dfdy = 4"
    )
    assert all(r.ok for r in graded((SAMPLES / "max_tie.bp").read_text()))


def test_relu_at_zero_takes_one_slope_for_every_claim_below_it():
    # r = relu(a*b) at a*b = 0: df/da = b*s and df/db = a*s for ONE slope s in [0, 1], upstream 1
    text = "a = 0; b = 2\np = a * b\nr = relu(p)\nf = r + 0\n"
    assert [x.ok for x in graded(text + "dfda = 2\ndfdb = 0\n")] == [True, True]  # s = 1 (b*1 = 2; a*1 = 0)
    results = graded(text + "dfdp = 0\ndfda = 2\n")  # s = 0 for p, then s = 1 for a
    assert [x.ok for x in results] == [True, False]
    assert results[1].why.endswith("with dfdp = 0 (line 5), dfda should be 0")


def test_eval_crosscheck_fails_a_tie_rule_that_gives_both_inputs_everything(monkeypatch):
    graph = parse(TIE)
    values = forward(graph, {})
    gate = graph.ids["m"]
    op = graph.nodes[gate].op
    honest = crosscheck(graph, values, backward(graph, values))
    assert {honest.edges[(gate, p)].status for p in (0, 1)} == {"kink"}
    everything = replace(ops.OPS[op], partials=lambda args, out: tuple(1 if a == out else 0 for a in args))
    monkeypatch.setitem(ops.OPS, op, everything)
    broken = crosscheck(graph, values, backward(graph, values))
    # each share alone lies within [0, 1]; together they send 2 where max(s, s) = s passes 1
    assert {broken.edges[(gate, p)].status for p in (0, 1)} == {"fail"}
    assert "must add up to 1, not 2" in broken.edges[(gate, 0)].note


SHARED = "x = 3; y = 3\nm = max(x, y)\nf = 5 * m + x\ndfdm = 5\ndfdx += 1 * dfdm\ndfdx += 1\n"


def test_a_sum_through_a_tie_takes_any_share_and_must_agree_with_the_other_claims():
    # x feeds the tie (share s of 5) and f (1): df/dx = 5s + 1, df/dy = 5(1 - s), s in [0, 1]
    whole = graded(SHARED + "dfdy = 0\n")  # s = 1: CS231n's indicator 1(x >= y) for x alone
    assert [(r.part, r.ok) for r in whole] == [("", True), ("adds", True), ("adds", True), ("sum", True), ("", True)]
    assert whole[1].why.endswith("at the kink any value in [0, 5]")
    both = graded(SHARED + "dfdy = 5\n")  # 1(x >= y) AND 1(y >= x): 5 sent twice
    assert [r.ok for r in both] == [True, True, True, True, False]
    assert both[-1].why.endswith("with dfdx = 6 (line 6), dfdy should be 0")


TIE3 = "x = 3; y = 3; z = 3\nm = max(x, y, z)\nf = 2 * m\n"


@pytest.mark.parametrize(
    ("claims", "ok"),
    [
        ("dfdx = 2\ndfdy = 0\ndfdz = 0\n", [True, True, True]),  # everything to x
        ("dfdx = 1\ndfdy = 1/2\ndfdz = 1/2\n", [True, True, True]),  # 1 + 1/2 + 1/2 = 2
        ("dfdx = 2/3\ndfdy = 2/3\ndfdz = 2/3\n", [True, True, True]),  # the engine's even split
        ("dfdx = 2\ndfdy = 2\n", [True, False]),  # 4 where 2 arrived, even before z
        ("dfdx = 1\ndfdy = 1/2\ndfdz = 1\n", [True, True, False]),  # 5/2
        ("dfdx = 1/2\ndfdy = 1/2\ndfdz = 1/2\n", [True, True, False]),  # 3/2: some of the 2 is lost
    ],
)
def test_a_tie_of_three_shares_the_upstream_once(claims, ok):
    # by hand: f = 2 * max(x, y, z), so 2 arrives at the tie and the shares are 2a, 2b, 2c with
    # a, b, c >= 0 and a + b + c = 1
    assert [r.ok for r in graded(TIE3 + claims)] == ok


def test_a_tie_of_three_names_the_total():
    r = graded(TIE3 + "dfdx = 1\ndfdy = 1/2\ndfdz = 1\n")[-1]
    assert r.why == (
        "at the kink of m = max(x, y, z) (the tie x = y = z = 3), the claims must fit one subgradient: "
        "m passes 2 on in total; dfdx + dfdy + dfdz = 5/2"
    )


def test_a_tie_of_three_with_a_side_path_fixes_the_last_share():
    # x also feeds f directly: df/dx = 2a + 1, df/dy = 2b, df/dz = 2c; dfdx = 2 gives a = 1/2 and
    # dfdy = 1/2 gives b = 1/4, so c = 1/4 and df/dz must be 1/2
    results = graded("x = 3; y = 3; z = 3\nm = max(x, y, z)\nf = 2 * m + x\ndfdx = 2\ndfdy = 1/2\ndfdz = 1\n")
    assert [r.ok for r in results] == [True, True, False]
    assert results[-1].why.endswith("with dfdx = 2 (line 4), dfdy = 1/2 (line 5), dfdz should be 1/2")


def test_a_tie_of_three_in_floats_with_a_side_path_fixes_the_last_share():
    # the same in floats: dfdx = 2.0 gives a = 1/2, dfdy = 0.5 gives b = 1/4, so df/dz must be 2c = 1/2
    text = "x = 3.0; y = 3.0; z = 3.0\nm = max(x, y, z)\nf = 2 * m + x\ndfdx = 2.0\ndfdy = 0.5\ndfdz = 1.0\n"
    results = graded(text)
    assert [r.ok for r in results] == [True, True, False]
    assert results[-1].why.endswith("with dfdx = 2.0 (line 4), dfdy = 0.5 (line 5), dfdz should be 1/2")


CHAIN = "x = 0.0\nr = relu(x)\ns = relu(r)\nf = s + 0\n"


@pytest.mark.parametrize(
    ("claims", "ok", "why"),
    [
        ("dfdr = 1\ndfdx = 1\n", [True, True], ""),  # s = 1, t = 1
        ("dfdr = 1\ndfdx = 1/2\n", [True, True], ""),  # s = 1, t = 1/2
        ("dfdr = 1/2\ndfdx = 1/4\n", [True, True], ""),  # s = 1/2, t = 1/2
        ("dfdr = 0\ndfdx = 1\n", [True, False], "with dfdr = 0 (line 5), dfdx should be 0"),  # t * 0
        ("dfdr = 1/2\ndfdx = 1\n", [True, False], "with dfdr = 1/2 (line 5), dfdx must lie in [0, 1/2]"),
        ("dfdx = 1\n", [True], ""),  # nothing fixes s: dfdx alone in [0, 1]
    ],
)
def test_kinks_one_after_another_each_take_one_slope(claims, ok, why):
    # by hand: the outer relu takes a slope s in [0, 1], the inner one t in [0, 1]; df/dr = s and
    # df/dx = t * s
    results = graded(CHAIN + claims)
    assert [r.ok for r in results] == ok
    assert results[-1].why.endswith(why)


def test_eval_crosscheck_fails_a_tie_of_three_given_everything(monkeypatch):
    graph = parse(TIE3)
    values = forward(graph, {})
    gate = graph.ids["m"]
    op = graph.nodes[gate].op
    honest = crosscheck(graph, values, backward(graph, values))
    assert {honest.edges[(gate, p)].status for p in (0, 1, 2)} == {"kink"}
    everything = replace(ops.OPS[op], partials=lambda args, out: tuple(1 if a == out else 0 for a in args))
    monkeypatch.setitem(ops.OPS, op, everything)
    broken = crosscheck(graph, values, backward(graph, values))
    # each share alone lies within [0, 1]; together they send 3 where max(s, s, s) = s passes 1
    assert {broken.edges[(gate, p)].status for p in (0, 1, 2)} == {"fail"}
    assert "must add up to 1, not 3" in broken.edges[(gate, 0)].note


def test_eval_crosscheck_judges_each_kink_of_a_chain_at_its_own_gate():
    graph = parse(CHAIN)
    values = forward(graph, {})
    checks = crosscheck(graph, values, backward(graph, values))
    inner, outer = graph.ids["r"], graph.ids["s"]
    assert checks.edges[(inner, 0)].status == checks.edges[(outer, 0)].status == "kink"


def test_claims_at_a_tie_past_the_branch_limit_are_checked_alone_and_say_so():
    from backpropcli.claims.joint import MAX_BRANCHES

    # max(a, ..., e) at a five-way tie of 1: nudging each tied argument either way gives 10 distinct slope
    # vectors (by hand: up, that argument takes the whole slope; down, the other four share it), past the limit.
    # Each share alone lies in [0, 1] (df/dm = 1), so dfda = 1 and dfdb = 1 each pass on their own interval,
    # though together they send 2 where 1 arrived: the pass must say it was not the joint rule's.
    # The tie x = y beside it is within the limit and is judged jointly, with nothing to add.
    # Neither a claim off every kink (dfdp = 1) nor one of another output's kinks (dpdx) is said to be alone;
    # a claim outside its interval (dfdc = 2) fails on it, and says so too.
    text = "x = 3; y = 3; a = 1; b = 1; c = 1; d = 1; e = 1\np = max(x, y)\nm = max(a, b, c, d, e)\nf = p + m\n"
    dp, dpdx, dx, da, db, dc = graded(text + "dfdp = 1\ndpdx = 1\ndfdx = 1\ndfda = 1\ndfdb = 1\ndfdc = 2\n")
    assert MAX_BRANCHES < 10
    assert [r.ok for r in (dp, dpdx, dx, da, db, dc)] == [True, True, True, True, True, False]
    assert (dp.interval, dc.interval) == (None, (0, 1))
    assert [r.interval for r in (dpdx, dx, da, db)] == [(0, 1)] * 4
    alone = f"checked alone, not with the other claims at the kink of m (10 branch slopes; the limit is {MAX_BRANCHES})"
    assert [alone in r.why for r in (dp, dpdx, dx)] == [False, False, False]
    assert da.why == db.why == f"at a kink: any value in [0, 1] passes; {alone}"
    assert dc.why.endswith(alone)


def test_claims_past_the_kink_gate_limit_are_checked_alone_and_say_so():
    from backpropcli.claims.joint import MAX_GATES

    # relu(relu(...relu(x))) at 0, one gate past the limit: each slope is any value in [0, 1], so dfdr{n-1} = 0
    # and dfdr{n-2} = 1 each lie in [0, 1] alone (jointly the second should be 0); both pass, and say why
    n = MAX_GATES + 1
    chain = "".join(f"r{i} = relu(r{i - 1})\n" for i in range(2, n + 1))
    results = graded(f"x = 0; w = 1\nr1 = relu(x)\n{chain}f = r{n} + w\ndfdw = 1\ndfdr{n - 1} = 0\ndfdr{n - 2} = 1\n")
    dw, results = results[0], results[1:]  # w is off every kink: nothing to say about it
    assert (dw.ok, dw.interval, dw.why) == (True, None, "")
    assert [(r.ok, r.interval) for r in results] == [(True, (0, 1)), (True, (0, 1))]
    for r in results:
        assert r.why.endswith(f"at kinks ({n} kinks on the way back; the limit is {MAX_GATES})")
        assert "checked alone, not with the other claims" in r.why


def test_past_the_kink_gate_limit_of_one_output_the_claims_of_another_are_still_judged_together():
    from backpropcli.claims.joint import MAX_GATES

    # f's way back meets MAX_GATES + 1 relus at 0: its claims are left to their intervals. m = max(a, b) at a tie
    # is a gradient of its own: dmda = 1 and dmdb = 1 send 2 where m passes 1 on, so the second is wrong
    n = MAX_GATES + 1
    chain = "".join(f"r{i} = relu(r{i - 1})\n" for i in range(2, n + 1))
    text = f"x = 0; a = 2; b = 2\nr1 = relu(x)\n{chain}m = max(a, b)\nf = r{n} + m\ndmda = 1\ndmdb = 1\n"
    results = graded(text)
    assert [(r.ok, r.how) for r in results] == [(True, "value"), (False, "kink")]
    assert results[-1].why.endswith("m passes 1 on in total; dmda + dmdb = 2")
    assert "checked alone" not in results[0].why


def test_an_exact_claim_near_the_one_float_value_a_later_kink_leaves_has_the_floats_slack():
    # f = relu(relu(x)) + 1000.0 * x at x = 0.0: dfdr = 0 takes the outer slope 0, so df/dx = 1000.0, a float;
    # an exact claim 10^-7 off it is within tol * 1000 (by hand: 10^-6), as a float claim would be
    text = "x = 0.0\nr = relu(x)\ns = relu(r)\nf = s + 1000.0 * x\ndfdr = 0\ndfdx = {}\n"
    assert [r.ok for r in graded(text.format("1000 + 1/10**7"))] == [True, True]
    assert [r.ok for r in graded(text.format("1000 + 1/10**5"))] == [True, False]
