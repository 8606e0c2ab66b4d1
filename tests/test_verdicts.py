"""Every verdict class, fed a case of exactly that class, through the command line: the counts, the
exit status, and the reason of every skip. A check that did not run is never counted as passed, and a
wrong gradient is never let through as skipped.

Cross-check classes (`backprop eval`): pass, fail, skip with a reason, kink within the one-sided
derivatives, kink outside them, undefined, out of time. Grader classes (`backprop check`): correct,
numeric, wrong, inherited, coincidence, missing, a claim at a kink within and outside, a claim whose
value does not exist. Then each option that changes a verdict (--tol, --budget, --require-all) and the
worst-status rule over several programs, in every order.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import pytest

from backpropcli.ops import OPS, Constant

SAMPLES = Path(__file__).parent.parent / "samples"
BUDGET_NOTE = "the cross-check's time budget of 1e-09s ran out"
UNDEFINED_NOTE = "sympy's derivative is undefined at this point"
CONVENTION_NOTE = "the subgradient convention differs from the one-sided derivatives"


def crosschecked(cli, *args: str) -> tuple[int, tuple[int, int, int], list[dict]]:
    """eval's exit status, its (passed, failed, skipped), and every edge and node check."""
    result = cli("eval", *args, "--format", "json", "--json-version", "1")
    assert result.code in (0, 1), result
    data = json.loads(result.out)
    counts = data["checks"]["passed"], data["checks"]["failed"], data["checks"]["skipped"]
    checks = [e["check"] for e in data["edges"]] + [n["check"] for n in data["nodes"] if n["check"] is not None]
    return result.code, counts, checks


def statuses(checks: list[dict]) -> list[str]:
    return sorted(c["status"] for c in checks)


# --- the cross-check ---------------------------------------------------------------------------


def test_crosscheck_pass(cli):
    code, counts, checks = crosschecked(cli, "(w+x*y)*z", "w=5", "x=3", "y=2", "z=4")
    assert (code, counts) == (0, (13, 0, 0))
    assert statuses(checks) == ["pass"] * 13


def test_crosscheck_fail_on_a_wrong_local_partial(cli, monkeypatch):
    # a mul gate that does not swap: every edge and node it touches is wrong
    monkeypatch.setitem(OPS, "mul", dataclasses.replace(OPS["mul"], partials=lambda a, out: (a[0], a[1])))
    code, counts, checks = crosschecked(cli, "(w+x*y)*z", "w=5", "x=3", "y=2", "z=4")
    assert (code, counts) == (1, (3, 10, 0))
    assert statuses(checks) == ["fail"] * 10 + ["pass"] * 3  # the add gate's two edges, and f itself


def test_crosscheck_fail_on_a_wrong_rule_in_place_of_a_constant_one(cli, monkeypatch):
    # add's slopes are read without a call; a rule put in its place is called: df/dy = 2 where it is 1
    monkeypatch.setitem(OPS, "add", dataclasses.replace(OPS["add"], partials=lambda a, out: (1, 2)))
    code, counts, checks = crosschecked(cli, "x + y", "x=3", "y=2")
    assert (code, counts) == (1, (3, 2, 0))  # y's edge and y's gradient fail, against sympy's 1
    assert [c["sympy"] for c in checks if c["status"] == "fail"] == ["1", "1"]


def test_crosscheck_fail_on_a_wrong_constant_rule(cli, monkeypatch):
    # a constant rule is told once for all its gates only where its slope is sympy's: 2 is not
    monkeypatch.setitem(OPS, "add", dataclasses.replace(OPS["add"], partials=Constant(1, 2)))
    code, counts, checks = crosschecked(cli, "(x + y) * (y + x)", "x=3", "y=2")
    assert (code, counts[1]) == (1, 4)  # two edges, and x's and y's totals, which take them in
    edges = checks[:6]  # the mul's two edges, then each add's two
    assert [c["sympy"] for c in edges if c["status"] == "fail"] == ["1", "1"]  # the second edge of each add


def test_crosscheck_skip_with_its_reason(cli):
    # relu(x) - relu(-x) is x: its slope at 0 is 1, the subgradient convention gives 0; neither is wrong
    code, counts, checks = crosschecked(cli, "relu(x) - relu(-x)", "x=0")
    assert (code, counts) == (0, (9, 0, 1))
    [skipped] = [c for c in checks if c["status"] == "skip"]
    assert CONVENTION_NOTE in skipped["note"]


def test_crosscheck_kink_within_the_one_sided_derivatives(cli):
    code, counts, checks = crosschecked(cli, "relu(x) * 3", "x=0")
    assert (code, counts) == (0, (5, 0, 0))
    [edge] = [c for c in checks if c["status"] == "kink" and c["how"] == "sympy" and c["sympy"] == "[0, 1]"]
    assert "subgradient" in edge["note"]


def test_crosscheck_kink_outside_the_one_sided_derivatives_fails(cli, monkeypatch):
    """relu'(0) = 2 is no subgradient of relu at 0 (they lie in [0, 1]): a failure, not a skip."""
    wrong = dataclasses.replace(OPS["relu"], partials=lambda a, out: (1 if a[0] > 0 else 2 if a[0] == 0 else 0,))
    monkeypatch.setitem(OPS, "relu", wrong)
    code, counts, checks = crosschecked(cli, "relu(x) + 3", "x=0")
    assert (code, counts) == (1, (3, 1, 1))
    [failed] = [c for c in checks if c["status"] == "fail"]
    assert failed["sympy"] == "[0, 1]"


def test_crosscheck_undefined_derivative_is_skipped_not_passed(cli):
    # d/dy x**y = x**y * log(x): sympy has no value at x = 0; the engine's 0 is neither confirmed nor refuted
    code, counts, checks = crosschecked(cli, "x**y", "x=0", "y=2")
    assert (code, counts) == (0, (3, 0, 2))
    notes = sorted(c["note"] for c in checks if c["status"] == "skip")
    assert notes[-1] == UNDEFINED_NOTE
    assert all(notes)


def test_crosscheck_out_of_time_is_skipped_not_passed(cli):
    code, counts, checks = crosschecked(cli, "sin(x)*cos(y)", "x=0.5", "y=0.25", "--budget", "1e-9")
    assert (code, counts) == (0, (1, 0, 8))
    skipped = [c for c in checks if c["status"] == "skip"]
    assert len(skipped) == 8 and all(c["note"] for c in skipped)
    assert sum(c["note"] == BUDGET_NOTE for c in skipped) == 4  # the four local partials; the rest depend on them


# --- the grader ----------------------------------------------------------------------------------


def graded(cli, tmp_path: Path, text: str, *options: str) -> tuple[int, list[str], dict]:
    """check's exit status, the verdict of every claim (and 'missing' per missing claim), and the summary."""
    path = tmp_path / "claims.bp"
    path.write_text(text, encoding="utf-8")
    result = cli("check", str(path), "--format", "json", *options)
    assert result.code in (0, 1), result
    [file] = json.loads(result.out)["files"]
    verdicts = [c["verdict"] for c in file["claims"]] + ["missing"] * len(file["missing"])
    return result.code, verdicts, json.loads(result.out)["summary"]


LECTURE = "w = 5; x = 3; y = 2; z = 4\nv = x * y\nu = w + v\nf = u * z\n"


@pytest.mark.parametrize(
    ("claims", "verdicts", "code"),
    [
        pytest.param("dfdu = z\ndfdv = 1 * dfdu\ndfdx = y * dfdv\n", ["correct"] * 3, 0, id="correct"),
        pytest.param("dfdu = 4\n", ["numeric"], 0, id="numeric"),
        pytest.param("dfdu = z\ndfdx = x * dfdu\n", ["correct", "wrong"], 1, id="wrong"),
        pytest.param("dfdu = 3\ndfdv = 1 * dfdu\n", ["wrong", "inherited"], 1, id="inherited"),
        # dfdz is u = w + x*y; w + 2*x has its value (y = 2) but not its slope along y
        pytest.param("dfdz = w + 2 * x\n", ["coincidence"], 1, id="coincidence"),
        pytest.param("dfdu = z\ndfdx = y * log(x - 3)\n", ["correct", "wrong"], 1, id="undefined-value"),
    ],
)
def test_grader_verdict(cli, tmp_path, claims, verdicts, code):
    got_code, got, summary = graded(cli, tmp_path, LECTURE + claims)
    assert (got_code, got) == (code, verdicts)
    passed = sum(v in ("correct", "numeric") for v in verdicts)
    assert summary == {"passed": passed, "failed": len(verdicts) - passed, "errors": 0}


@pytest.mark.parametrize(
    ("claim", "verdict", "code"),
    [
        pytest.param("dfdx = 1/2", "numeric", 0, id="within"),
        pytest.param("dfdx = 1", "numeric", 0, id="at-the-edge"),
        pytest.param("dfdx = 2", "wrong", 1, id="outside"),
        pytest.param("dfdx = -1/4", "wrong", 1, id="below"),
    ],
)
def test_grader_claim_at_a_kink(cli, tmp_path, claim, verdict, code):
    """relu at 0: any value between the one-sided derivatives 0 and 1 passes, and nothing else."""
    assert graded(cli, tmp_path, f"x = 0\nf = relu(x)\n{claim}\n")[:2] == (code, [verdict])


@pytest.mark.parametrize(("claim", "verdict", "code"), [("dfdx = 1/2", "numeric", 0), ("dfdx = 2", "wrong", 1)])
def test_grader_kink_interval_is_taken_right_beside_the_point(cli, tmp_path, claim, verdict, code):
    """relu(x) + relu(x - 1) at 0: the slopes just beside the point are 0 and 1; a step as far as the
    next kink, at 1, would see a slope of 2 on the right and let 2 pass."""
    text = f"x = 0\nf = relu(x) + relu(x - 1)\n{claim}\n"
    assert graded(cli, tmp_path, text)[:2] == (code, [verdict])


# --- options that change a verdict -------------------------------------------------------------

NEAR = "x = 3.0\nf = x * x\ndfdx = 6.000001\n"  # 1.7e-7 off, relative


@pytest.mark.parametrize(("tol", "verdict", "code"), [(None, "wrong", 1), ("1e-3", "numeric", 0)])
def test_tol_changes_the_eval_verdict(cli, tmp_path, tol, verdict, code):
    path = tmp_path / "near.bp"
    path.write_text(NEAR, encoding="utf-8")
    result = cli("eval", "-f", str(path), "--format", "json", *(("--tol", tol) if tol else ()))
    assert result.code == code
    assert [c["verdict"] for c in json.loads(result.out)["claims"]] == [verdict]


@pytest.mark.parametrize(("tol", "verdict", "code"), [(None, "wrong", 1), ("1e-3", "numeric", 0)])
def test_tol_changes_the_check_verdict(cli, tmp_path, tol, verdict, code):
    assert graded(cli, tmp_path, NEAR, *(("--tol", tol) if tol else ()))[:2] == (code, [verdict])


def test_budget_changes_checks_from_passed_to_skipped(cli):
    point = ("sin(x)*cos(y)", "x=0.5", "y=0.25")
    assert crosschecked(cli, *point)[:2] == (0, (9, 0, 0))
    assert crosschecked(cli, *point, "--budget", "1e-9")[:2] == (0, (1, 0, 8))


def test_require_all_fails_a_file_with_a_missing_claim(cli, tmp_path):
    text = LECTURE + "dfdu = z\ndfdz = u\n"
    assert graded(cli, tmp_path, text) == (0, ["correct", "correct"], {"passed": 2, "failed": 0, "errors": 0})
    code, verdicts, summary = graded(cli, tmp_path, text, "--require-all")
    assert (code, verdicts) == (1, ["correct", "correct"] + ["missing"] * 4)  # w, x, y, v
    assert summary == {"passed": 2, "failed": 4, "errors": 0}


# --- several programs: the worst status, whatever the order --------------------------------------

PROGRAMS = {0: SAMPLES / "lecture27.bp", 1: SAMPLES / "wrong_backward.bp", 2: None}  # status -> program
ORDERS = [o for k in (2, 3) for o in itertools.permutations(PROGRAMS, k)]


def _paths(tmp_path: Path, order: tuple[int, ...]) -> list[str]:
    bad = tmp_path / "bad.bp"
    bad.write_text("x = 1\nf = x $ 2\n", encoding="utf-8")
    return [str(PROGRAMS[s] or bad) for s in order]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "-".join(map(str, o)))
def test_eval_exits_with_the_worst_status_in_any_order(cli, tmp_path, order):
    result = cli("eval", "--no-check", "-f", *_paths(tmp_path, order))
    assert result.code == max(order), result
    assert result.out.count("==> ") == sum(s != 2 for s in order)


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "-".join(map(str, o)))
def test_check_exits_with_the_worst_status_in_any_order(cli, tmp_path, order):
    result = cli("check", *_paths(tmp_path, order))
    assert result.code == max(order), result
    assert result.err.count("error: ") == order.count(2)
