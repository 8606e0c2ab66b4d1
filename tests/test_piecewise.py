"""floor, ceil and mod (`%`): Python's and sympy's semantics, exact where the inputs are, a jump where
the op has no derivative at all, and a cross-check that compares numbers or says it did not."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
import sympy

from backpropcli.autodiff import backward, forward
from backpropcli.crosscheck import crosscheck
from backpropcli.errors import EvalError
from backpropcli.ops import OPS, Jump
from backpropcli.parse import parse
from backpropcli.pipeline import analyze

# Exact points on both sides of 0 and of the jumps, whole numbers included, and a few floats.
EXACT = [Fraction(k, 4) for k in range(-13, 14)]
DIVISORS = [Fraction(-5, 2), Fraction(-1), Fraction(-1, 3), Fraction(2, 3), Fraction(1), Fraction(7, 4), Fraction(3)]
SYMPY = {"floor": sympy.floor, "ceil": sympy.ceiling, "mod": sympy.Mod}


def plain(v: Fraction) -> int | Fraction:
    """A whole Fraction as an int, as the engine keeps it."""
    return v.numerator if v.denominator == 1 else v


def rational(v) -> sympy.Rational:
    v = Fraction(v)
    return sympy.Rational(v.numerator, v.denominator)


def engine(expr) -> int | Fraction:
    return Fraction(int(expr.p), int(expr.q)) if expr.q != 1 else int(expr.p)


@pytest.mark.parametrize("name", ["floor", "ceil"])
def test_floor_and_ceil_are_sympys_and_stay_exact(name):
    op = OPS[name]
    for v in map(plain, EXACT):
        out = op.forward(v)
        assert type(out) is int and out == engine(SYMPY[name](rational(v))), v
    for v in (2.5, -2.5, -0.0, 1e300, 5e-324):
        out = op.forward(v)
        assert type(out) is float and out == float(SYMPY[name](sympy.Float(v, 400))), v


def test_mod_is_pythons_and_sympys_with_the_sign_of_the_divisor():
    op = OPS["mod"]
    for a in map(plain, EXACT):
        for b in map(plain, DIVISORS):
            out = op.forward(a, b)
            assert type(out) is not float and out == engine(sympy.Mod(rational(a), rational(b))), (a, b)
            assert out == 0 or (out > 0) == (b > 0), (a, b)  # Python's sign rule
    for a, b in [(7.5, 2.0), (-7.5, 2.0), (7.5, -2.0), (0.3, 0.1), (1.0, 1 / 3), (-1e-20, 3.0)]:
        out = op.forward(a, b)
        exact = sympy.Mod(rational(a), rational(b))  # the floats' exact values
        assert type(out) is float and out == float(exact), (a, b)


@pytest.mark.parametrize("name", ["floor", "ceil"])
def test_floor_and_ceil_have_slope_zero_between_whole_numbers_and_none_at_them(name):
    op = OPS[name]
    for v in map(plain, EXACT):
        if v.denominator == 1 if type(v) is Fraction else True:  # whole: the op jumps
            with pytest.raises(Jump, match=rf"^{name} jumps at {v}$"):
                op.partials((v,), op.forward(v))
            h = Fraction(1, 10**9)
            assert op.forward(v + h) - op.forward(v - h) == 1  # a jump of 1, not a slope
        else:
            assert op.partials((v,), op.forward(v)) == (0,)


def test_mods_partials_are_its_exact_central_differences_away_from_the_jumps():
    """mod is linear on each piece, so an exact central difference within the piece is the slope itself."""
    op = OPS["mod"]
    h = Fraction(1, 10**12)
    for a in map(plain, EXACT):
        for b in map(plain, DIVISORS):
            if Fraction(a) % b == 0:
                continue
            da, db = op.partials((a, b), op.forward(a, b))
            assert da == (op.forward(a + h, b) - op.forward(a - h, b)) / (2 * h) == 1, (a, b)
            assert db == (op.forward(a, b + h) - op.forward(a, b - h)) / (2 * h), (a, b)
            assert db == -engine(sympy.floor(rational(a) / rational(b))), (a, b)


def test_mod_jumps_along_both_arguments_where_the_ratio_is_whole():
    op = OPS["mod"]
    h = Fraction(1, 10**9)
    for a, b in [(6, 3), (-6, 3), (6, -3), (0, 5), (Fraction(3, 2), Fraction(1, 2)), (7.5, 2.5)]:
        with pytest.raises(Jump, match="mod jumps where a/b is a whole number"):
            op.partials((a, b), op.forward(a, b))
        # from one side a % b tends to 0, from the other to b: a jump of |b| along a
        a_, b_ = Fraction(a), Fraction(b)
        assert abs(op.forward(a_ - h, b_) - op.forward(a_ + h, b_)) == abs(b_) - 2 * h


def test_a_ratio_that_rounds_to_a_whole_float_is_no_jump():
    """1.0 / (1/3 as a float) rounds to 3.0, but the float 1/3 is a little under a third: mod has its
    slope -3 there, as sympy's exact ratio says."""
    third = 1 / 3
    assert 1.0 / third == 3.0
    _, db = OPS["mod"].partials((1.0, third), OPS["mod"].forward(1.0, third))
    assert db == -3.0 == -float(sympy.floor(rational(1.0) / rational(third)))


@pytest.mark.parametrize(
    ("text", "point", "says"),
    [
        ("floor(x) * y", {"x": 2, "y": 3}, "floor(2) has no derivative here: floor jumps at 2"),
        ("ceil(x)", {"x": -3.0}, "ceil(-3.0) has no derivative here: ceil jumps at -3.0"),
        ("x % y", {"x": 6, "y": 3}, "mod(6, 3) has no derivative here: mod jumps where a/b is a whole number (6/3"),
        ("mod(x, 2.5)", {"x": -5.0}, "mod(-5.0, 2.5) has no derivative here: mod jumps where a/b is a whole number"),
        ("sign(x)", {"x": 0}, "sign(0) has no derivative here: sign jumps at 0"),
    ],
)
def test_at_a_jump_the_backward_pass_says_where_the_op_jumps(text, point, says):
    graph = parse(text)
    with pytest.raises(EvalError, match=r"^" + says.replace("(", r"\(").replace(")", r"\)")) as caught:
        backward(graph, forward(graph, point))
    assert caught.value.message.endswith(", so the gradient does not exist")


def test_eval_shows_a_jump_as_an_undefined_gradient_and_keeps_the_rest(cli):
    result = cli("eval", "--", "f = 3 * floor(x) + y", "x=2", "y=5")
    assert result.code == 0, result
    assert result.out.splitlines()[0] == "f = 11"  # by hand: 3*2 + 5
    assert (
        "warning: df/dx does not exist here: floor(2) has no derivative here: floor jumps at 2, so the gradient "
        "does not exist; every other gradient does"
    ) in " ".join(result.out.split())
    grads = json.loads(cli("eval", "--format", "json", "--", "f = 3 * floor(x) + y", "x=2", "y=5").out)
    assert grads["gradients"] == {"x": None, "y": 1}  # by hand: df/dy = 1


JUMP = "x = 2; y = 1/2\nf = floor(x) * y + y\n"


def test_check_grades_the_gradients_that_exist_beside_a_jump(cli, tmp_path):
    path = tmp_path / "jump.bp"
    path.write_text(JUMP + "dfdy = floor(x) + 1\ndfdx = 0\n")
    result = cli("check", str(path), "--format", "json")
    assert result.code == 1  # dfdx claims a slope floor does not have at 2
    record = json.loads(result.out)["files"][0]
    dy, dx = record["claims"]
    assert (dy["verdict"], dy["true"]) == ("correct", 3)  # by hand: floor(2) + 1
    assert (dx["verdict"], dx["true"]) == ("undefined", None)
    assert dx["why"] == (
        "df/dx does not exist here: floor(2) has no derivative here: floor jumps at 2, so the gradient does not exist"
    )
    only = tmp_path / "only.bp"
    only.write_text(JUMP + "dfdy = 3\n")
    kept = cli("check", str(only))
    assert kept.code == 0 and "warning: df/dx does not exist here: floor(2)" in kept.out


def test_at_a_jump_of_mod_both_partials_are_missing_and_the_rest_remain(cli, tmp_path):
    path = tmp_path / "mod.bp"
    path.write_text("x = 6; y = 3; z = 5/2\nf = x % y + z * y\ndfdz = y\n")
    result = cli("check", str(path), "--format", "json")
    record = json.loads(result.out)["files"][0]
    assert result.code == 0 and record["claims"][0]["verdict"] == "correct"
    assert record["warnings"] == [
        "df/dx, df/dy do not exist here: mod(6, 3) has no derivative here: mod jumps where a/b is a whole number "
        "(6/3 = 2), so the gradient does not exist; every other gradient does"
    ]  # df/dy needs mod's slope along y too, beside the z * y it also feeds


CLAIMS = """x = 7/2
y = 3
q = x % y
f = q * floor(x)
dfdq = floor(x)
dfdx = dfdq * 1
dfdy = dfdq * (-floor(x/y))
"""


def exact_slope(text: str, name: str, point: dict) -> Fraction:
    """The central difference in exact arithmetic, with a step far inside every piece."""
    graph = parse(text)
    h = Fraction(1, 10**12)
    up = forward(graph, {**point, name: point[name] + h})[graph.output]
    down = forward(graph, {**point, name: point[name] - h})[graph.output]
    return (up - down) / (2 * h)


def test_check_grades_claims_through_floor_and_mod(cli, tmp_path):
    program = CLAIMS.split("dfdq")[0]
    point = {"x": Fraction(7, 2), "y": Fraction(3)}
    assert exact_slope(program, "x", point) == 3 and exact_slope(program, "y", point) == -3
    path = tmp_path / "claims.bp"
    path.write_text(CLAIMS)
    result = cli("check", str(path), "--format", "json")
    assert result.code == 0, result
    claims = json.loads(result.out)["files"][0]["claims"]
    assert [(c["name"], c["verdict"], c["true"]) for c in claims] == [
        ("dfdq", "correct", 3),
        ("dfdx", "correct", 3),
        ("dfdy", "correct", -3),
    ]
    path.write_text(CLAIMS.replace("(-floor(x/y))", "floor(x/y)"))
    wrong = cli("check", str(path), "--format", "json")
    verdicts = [c["verdict"] for c in json.loads(wrong.out)["files"][0]["claims"]]
    assert wrong.code == 1 and verdicts[:2] == ["correct", "correct"] and verdicts[2] != "correct"


def checked(text: str, **point):
    graph = parse(text)
    values = forward(graph, point)
    back = backward(graph, values)
    return graph, values, back, crosscheck(graph, values, back)


@pytest.mark.parametrize(
    "point", [{"x": Fraction(7, 2), "y": Fraction(5, 2)}, {"x": 3.7, "y": -1.3}, {"x": -5.25, "y": 0.8}], ids=str
)
def test_every_edge_and_total_through_the_new_ops_is_compared_with_a_number(point):
    graph, values, _, checks = checked("f = floor(x) * x + (x % y) * ceil(y) + mod(y, x)", **point)
    assert checks.counts() == (len(checks.edges) + len(checks.nodes), 0, 0)
    for (gate, pos), check in checks.edges.items():
        node = graph.nodes[gate]
        if node.op == "mod" and pos == 1:  # sympy's number is -floor(a/b) at the point, from scratch
            a, b = (rational(values[i]) for i in node.args)
            assert Fraction(check.expected) == -engine(sympy.floor(a / b)), (gate, check)
    formulas = " ".join(checks.formulas.values())
    assert "floor(x/y)" in formulas and "ceiling(y)" in formulas  # x % y as x - y*floor(x/y)
    assert "Derivative" not in formulas and "Subs" not in formulas


def test_at_a_jump_the_cross_check_skips_and_never_passes():
    """A backward pass that claims slope 0 at floor's jump (x = 2) is compared with nothing there:
    sympy's derivative has no value, so the edge and the totals through it are skipped, with the reason."""
    graph, _, beside, _ = checked("f = floor(x) * y", x=Fraction(5, 2), y=3)
    values = forward(graph, {"x": 2, "y": 3})  # floor(2) = floor(5/2): the same partials and gradients
    checks = crosscheck(graph, values, beside)
    floor_gate = next(i for i, node in enumerate(graph.nodes) if node.op == "floor")
    edge = checks.edges[(floor_gate, 0)]
    assert edge.status == "skip" and "undefined at this point" in edge.note
    x_total = checks.nodes[graph.ids["x"]]
    assert x_total.status == "skip"
    assert checks.nodes[graph.ids["y"]].status == "pass"  # the slope along y exists and is compared


def test_beyond_the_symbolic_cap_the_new_ops_are_checked_by_chain_and_dual():
    lines = ["x0 = 0.5", "w = 0.99", "c = 1.7"]
    for k in range(1, 201):
        op = ("x{j} % c", "floor(x{j} * 5) / 9 + x{j}", "ceil(x{j}) * x{j} * w")[k % 3]
        lines.append(f"x{k} = tanh({op.format(j=k - 1)})")
    report = analyze("\n".join(lines))
    passed, failed, skipped = report.counts()
    assert (failed, skipped) == (0, 0) and passed > 600
    assert any("beyond the symbolic cap" in note for note in report.checks.notes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x * y % z", lambda x, y, z: (x * y) % z),
        ("x % y * z", lambda x, y, z: (x % y) * z),
        ("x / y % z", lambda x, y, z: (x / y) % z),
        ("x % y / z", lambda x, y, z: (x % y) / z),
        ("x + y % z", lambda x, y, z: x + (y % z)),
        ("-x % y", lambda x, y, z: (-x) % y),
        ("x ** 2 % y", lambda x, y, z: (x**2) % y),
        ("x % y % z", lambda x, y, z: (x % y) % z),
        ("x % -z", lambda x, y, z: x % (-z)),
    ],
)
def test_percent_binds_like_python_with_star_and_slash(text, expected):
    x, y, z = Fraction(23, 3), Fraction(5, 2), Fraction(7, 4)
    point = {name: v for name, v in zip("xyz", (x, y, z), strict=True) if name in text}
    report = analyze(text, point, check=False)
    assert report.value == expected(x, y, z)
    program = analyze(f"t = {text}", point, check=False)  # the one-line path
    assert program.value == report.value and program.gradients == report.gradients


@pytest.mark.parametrize(
    ("text", "says", "at"),
    [
        ("x %= 2", "augmented assignment is not allowed", "1:4"),
        ("x %", "an operand is missing", "1:3"),
        ("% x", "expected a number, a name or '(' here", "1:1"),
        ("x %% y", "expected a number, a name or '(' here", "1:4"),
        ("ceiling(x)", "did you mean ceil()?", "1:1"),
        ("floor = 2", "'floor' is a function name", "1:1"),
    ],
)
def test_bad_uses_of_the_new_syntax_get_one_error_line(cli, text, says, at):
    result = cli("eval", "--", text, "x=1")
    assert result.code == 2, result
    assert result.err.startswith(f"error: <expr>:{at}: ") and says in result.err.splitlines()[0], result


def test_explain_pseudocode_reads_back_and_every_claim_passes(cli, tmp_path):
    path = tmp_path / "p.bp"
    path.write_text("x = 7/2; y = 3; z = 0.5\nq = x % y\nr = mod(z, y) * floor(x)\nf = q * r + ceil(z) + x % 2\n")
    pseudo = cli("explain", "-f", str(path), "--pseudocode")
    assert pseudo.code == 0, pseudo
    assert "q = x % y\n" in pseudo.out and "(-floor(x/y))" in pseudo.out
    back = tmp_path / "back.bp"
    back.write_text(pseudo.out)
    result = cli("check", str(back), "--format", "json")
    claims = json.loads(result.out)["files"][0]["claims"]
    assert result.code == 0 and claims and all(c["verdict"] in ("correct", "numeric") for c in claims), result


def test_the_views_show_the_new_ops(cli, tmp_path):
    path = tmp_path / "p.bp"
    path.write_text("x = 7/2; y = 3\nf = floor(x) * (x % y) + ceil(y / x)\n")
    prose = cli("explain", "-f", str(path))
    assert "floor gate" in prose.out and "mod gate" in prose.out and "ceil gate" in prose.out
    assert "it blocks: its slope is 0 (it jumps at whole numbers)" in prose.out
    tree = cli("graph", "-f", str(path))
    assert "x % y = 1/2" in tree.out and "floor(x) = 3" in tree.out and "ceil(y / x) = 1" in tree.out
    html = cli("graph", "-f", str(path), "--format", "html", "-o", "-")
    assert html.code == 0 and "floor blocks" in html.out and "mod passes" in html.out


def test_the_limits_page_states_the_jump_messages():
    from pathlib import Path

    text = " ".join((Path(__file__).parent.parent / "docs" / "limits.md").read_text(encoding="utf-8").split())
    for case in ("floor(x)", "x % y"):
        graph = parse(case)
        point = {"x": 2, "y": 3} if "floor" in case else {"x": 6, "y": 3}
        with pytest.raises(EvalError) as caught:
            backward(graph, forward(graph, point))
        assert caught.value.message in text, caught.value.message


def test_a_float_mod_checks_against_sympys_exact_ratio():
    """0.3 % 0.1: the float ratio is 2.9999999999999996 and the exact one just under 3, so the slope
    along y is -2; sympy's number at high precision says so too, and the check passes."""
    _, _, back, checks = checked("x % y", x=0.3, y=0.1)
    assert back.grads[1] == -2.0 and math.floor(Fraction(0.3) / Fraction(0.1)) == 2
    assert checks.counts()[1:] == (0, 0)


@pytest.mark.parametrize(
    "text",
    [
        "x % sign(y)",
        "sign(x % y) + y",
        "leaky_relu(x % y, 0.1) * elu(floor(y))",
        "cbrt(ceil(x) % y)",
        "(x % y) % (y % x)",
    ],
)
def test_sympy_builds_and_differentiates_the_new_ops_inside_piecewise_ones(text):
    """sympy's Mod raises on a divisor that is 0 on one branch of a Piecewise (sign(y) at 0) when a
    condition is folded; the cross-check through such nests must compare numbers, not crash."""
    report = analyze(text, {"x": Fraction(7, 2), "y": Fraction(-5, 4)})
    passed, failed, skipped = report.counts()
    assert (failed, skipped) == (0, 0) and passed > 0, report.checks.notes


def test_a_slope_that_does_not_exist_is_skipped_not_compared_with_sympy():
    """sign(x) at 0 jumps: the engine has no slope. sympy's derivative, 2*DiracDelta(x), it takes as 0
    there; comparing would fail a slope that does not exist. The local and the total are skipped, with why."""
    from backpropcli.crosscheck.local import NO_SLOPE
    from backpropcli.pipeline import analyze

    report = analyze("sign(x) * y", {"x": 0, "y": 2})
    x = report.graph.ids["x"]
    assert report.gradients["y"] == 0 and report.gradients["x"] != report.gradients["x"]  # by hand: sign(0) = 0
    edge = next(e for e in report.checks.edges.records if report.checks.edges[e].note == NO_SLOPE)
    assert report.checks.edges[edge].status == "skip"
    assert report.checks.nodes[x].status == "skip" and report.checks.nodes[x].note == NO_SLOPE
    assert report.checks.counts()[1] == 0
