"""`backprop explain`: the narrative, the worked solutions and the pseudo-code against golden files,
and the pseudo-code read back by backprop with every claim passing, on the samples and on random
expressions over the whole op table (bounded, derandomised example counts keep the suite fast).

Rewrite the goldens on purpose with `pytest --update-goldens` and review the diff.
"""

from __future__ import annotations

import io
import math
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from backpropcli import analyze
from backpropcli.autodiff import ledger
from backpropcli.errors import EvalError
from backpropcli.explain import explain, gate_names
from backpropcli.ops import BINARY, FUNCTIONS, UNARY
from backpropcli.render.explain import latex as explain_latex
from backpropcli.render.explain import markdown as explain_markdown
from backpropcli.render.explain import text as explain_text
from backpropcli.render.explain.pseudocode import literal, render
from backpropcli.render.graph import dot, mermaid, tree

ROOT = Path(__file__).parent.parent
CASES = Path(__file__).parent / "cases"
GOLDEN = Path(__file__).parent / "golden"
EXPLAIN_CASES = sorted(p.stem for p in CASES.glob("explain_*.bp"))
SAMPLES = sorted(ROOT.glob("samples/*.bp"))
FORMATS = {"text": "txt", "markdown": "md", "latex": "tex", "pseudocode": "pseudo.bp"}


def pseudocode(report) -> str:
    return "".join(render(explain(report)))


def assert_round_trip(report) -> None:
    """The pseudo-code is a program whose claims all pass and whose gradients are the original's."""
    back = analyze(pseudocode(report), check=False)
    failing = [(c.claim.name, c.verdict, c.why) for c in back.claims if not c.ok]
    assert not failing
    assert back.output == report.output
    assert _same(back.value, report.value)
    assert back.gradients.keys() == report.gradients.keys()
    assert all(_same(back.gradients[n], g) for n, g in report.gradients.items())
    fed = {report.graph.nodes[gate].args[pos] for gate, pos in ledger(report.graph, report.back)}
    exist = {i for i in fed if report.back.grads[i] == report.back.grads[i]}  # nan: it does not exist here
    assert len(back.claims) == len(exist)  # one claim for every node the gradient reaches where it exists


def _same(a, b) -> bool:
    if a != a and b != b:
        return True  # a gradient that does not exist, in both
    return a == b if type(a) is not float and type(b) is not float else math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("case", EXPLAIN_CASES)
def test_explanation_matches_golden(cli, matches_golden, case, fmt):
    options = ["--pseudocode"] if fmt == "pseudocode" else ["--format", fmt]
    result = cli("explain", "-f", str(CASES / f"{case}.bp"), *options)
    assert result.code == 0, result
    golden = GOLDEN / f"{case}.{FORMATS[fmt]}"
    matches_golden(golden, result.out)


@pytest.mark.parametrize("path", SAMPLES + sorted(CASES.glob("explain_*.bp")), ids=lambda p: p.name)
def test_pseudocode_round_trip(path):
    assert_round_trip(analyze(path.read_text(), check=False))


def test_the_lecture_backward_pass_comes_out_as_on_the_slide():
    slide = (ROOT / "samples" / "lecture27.bp").read_text().split("# Backward Pass\n")[1]
    ours = pseudocode(analyze((ROOT / "samples" / "lecture27.bp").read_text(), check=False))
    assert ours.split("# Backward Pass\n")[1] == slide
    assert ours.startswith("# Set Input\nw = 5; x = 3; y = 2; z = 4\n# Forward Pass\nv = x * y\n")


def test_pseudocode_is_graded_by_eval(cli, tmp_path):
    made = cli("explain", "-f", str(ROOT / "samples" / "sigmoid_neuron.bp"), "--pseudocode")
    assert made.code == 0, made
    path = tmp_path / "neuron.bp"
    path.write_text(made.out)
    graded = cli("eval", "-f", str(path), "--format", "json")
    assert graded.code == 0, graded
    assert '"failed": 0' in graded.out


def test_unnamed_gates_get_names_the_program_does_not_use():
    report = analyze("t1 * x + t2 * (x - y)", {"t1": 1, "t2": 2, "x": 3, "y": 4}, check=False)
    names = gate_names(report.graph)
    assert [n for n, node in zip(names, report.graph.nodes, strict=True) if node.args and node.name is None] == [
        "t3",
        "t4",
        "t5",
    ]
    assert_round_trip(report)


def test_claim_names_stay_unambiguous_with_names_that_contain_d():
    report = analyze("d * dx + fd * x", {"d": 2, "dx": 3, "fd": 5, "x": 7}, check=False)
    text = pseudocode(report)
    assert "dfddx = " in text and "dfdd = " in text and "dfdfd = " in text
    assert_round_trip(report)


def test_a_claim_shaped_input_is_assigned_first():
    report = analyze("x*y + dxdy", {"x": 1, "y": 2, "dxdy": 3}, check=False)
    assert pseudocode(report).startswith("# Set Input\ndxdy = 3; x = 1; y = 2\n")
    assert_round_trip(report)


def test_a_forward_name_that_would_read_as_a_claim_is_an_error(cli):
    result = cli("explain", "dxdy = x * y; f = dxdy + 1", "x=1", "y=2", "--pseudocode")
    assert result.code == 2
    assert result.err == "error: the name dxdy would read as a gradient claim in the pseudo-code; rename it\n"
    assert cli("explain", "dxdy = x * y; f = dxdy + 1", "x=1", "y=2").code == 0


def test_an_output_that_is_an_input_has_nothing_to_explain(cli):
    result = cli("explain", "w = 5; x = 3; f = w * x", "--output", "w")
    assert result.code == 2
    assert result.err.startswith("error: the output w is an input")


def test_pseudocode_takes_no_format(cli):
    result = cli("explain", "x*y", "x=1", "y=2", "--pseudocode", "--format", "latex")
    assert result.code == 2
    assert result.err.startswith("error: --pseudocode prints a program; it has no --format")


def test_bad_input_is_one_error_line(cli):
    result = cli("explain", "log(x)", "x=0")
    assert result.code == 2
    assert result.err.startswith("error: <expr>:1:1:") and "Traceback" not in result.err


def test_a_chosen_output_limits_the_program():
    report = analyze(
        (ROOT / "samples" / "lecture27.bp").read_text().split("# Backward Pass")[0], output="u", check=False
    )
    text = pseudocode(report)
    assert "f = " not in text
    assert text.split("# Backward Pass\n")[1] == (
        "dudw = 1\ndudv = 1\ndudx = y * dudv    # dvdx = y\ndudy = x * dudv    # dvdy = x\n"
    )
    assert_round_trip(report)


@pytest.mark.parametrize(
    "value",
    [
        0,
        7,
        -3,
        Fraction(1, 3),
        Fraction(-5, 2),
        0.1,
        -2.5e-300,
        -0.0,
        1e22,
        10**950 + 12345,
        -(10**1100) + 1,
        Fraction(10**999, 7),
    ],
    ids=lambda v: type(v).__name__ + ("-big" if abs(v) > 10**100 else f"-{v}"),
)
def test_literals_read_back_as_the_same_number(value):
    report = analyze(f"c = {literal(value)}\nf = c * 1", check=False)
    read = report.values[report.graph.ids["c"]]
    assert read == value and type(read) is type(value)


# Names the pseudo-code must work around: t1 is its own first choice, d and dx sit inside claim
# names such as dfddx, and e shadows the constant once bound.
NAMES = ("x", "y", "t1", "d", "dx", "e")
VALUES = st.sampled_from([-2, -1, 0, 1, 3, Fraction(1, 2), Fraction(-3, 4), 0.5, 1.5, -0.25, 2.0])
LEAVES = st.sampled_from(NAMES) | st.sampled_from(["0", "1", "2", "3", "0.5"])


def _call(children):
    def with_args(name: str):
        least, most = FUNCTIONS[name].arity
        args = st.lists(children, min_size=least, max_size=most or least + 1)
        return args.map(lambda a: f"{name}({', '.join(a)})")

    return st.sampled_from(sorted(FUNCTIONS)).flatmap(with_args)


def _grow(children):
    binary = st.tuples(children, st.sampled_from(sorted(BINARY)), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    unary = st.tuples(st.sampled_from(sorted(UNARY)), children).map(lambda t: f"({t[0]}{t[1]})")
    return binary | unary | _call(children)


NAMED = re.compile(rf"\b({'|'.join(NAMES)})\b")
# Only expressions with a variable: one without has nothing to differentiate (an input error).
EXPRESSIONS = st.recursive(LEAVES, _grow, max_leaves=8).filter(NAMED.search)
POINTS = st.fixed_dictionaries({name: VALUES for name in NAMES})
# The only errors a random point may meet: the point is outside an op's domain, or a value or a slope
# is beyond the float range (3**729 is exact, its slope by the exponent is not). A slope that does not
# exist is no error: the gradients that need it are undefined, and the others are shown.
DOMAIN = re.compile(r"is undefined \(|divides by zero$|too large for a float$")


def _report(expr: str, point: dict):
    """The expression's report at the point; a point outside a domain must be that error, and is not
    counted as an example (hypothesis draws another)."""
    used = {name: v for name, v in point.items() if re.search(rf"\b{name}\b", expr)}
    try:
        return analyze(expr, used, check=False)
    except EvalError as exc:
        assert exc.exit_code == 2 and DOMAIN.search(exc.message), exc.message
        reject()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=EXPRESSIONS, point=POINTS)
def test_pseudocode_of_any_expression_reads_back_with_every_claim_passing(expr, point):
    assert_round_trip(_report(expr, point))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expr=EXPRESSIONS, point=POINTS)
def test_every_explanation_and_picture_renders(expr, point):
    report = _report(expr, point)
    story = explain(report)
    for renderer in (explain_text, explain_markdown, explain_latex):
        assert "".join(renderer.render(story)).count("gate ") >= len(story.steps)
    edges = sum(len(node.args) for node in report.graph.nodes[: report.graph.output + 1])
    assert "".join(dot.render(report)).count(" -> ") == edges
    assert "".join(mermaid.render(report)).startswith("flowchart LR\n")
    shown = _plain(tree.render(report))
    assert shown.splitlines()[0].startswith(report.output)  # the output at the root
    inputs = [n.name for n in report.graph.nodes if n.name is not None and n.name in report.gradients]
    assert all(f"{name} = " in shown for name in inputs)


def _plain(renderable) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(renderable)
    return out.getvalue()


def test_what_a_gate_does_is_told_in_the_programs_own_names():
    # the op table's letters (1/b, -a/b**2) read as wrong math where a and b are other nodes
    from backpropcli.render.cells import op_cell

    graph = analyze("a = 2; b = 3\nf = 1 / (a + b) + exp(-a) + tanh(b)\n", check=False).graph
    cells = {graph.text(i): op_cell(graph, i) for i, node in enumerate(graph.nodes) if node.args}
    assert cells["1 / (a + b)"] == "div scales: 1/(a + b), -1/(a + b)**2"
    assert cells["exp(-a)"] == "exp scales by exp(-a)"
    assert cells["tanh(b)"] == "tanh scales: 1 - tanh(b)**2"


def test_a_template_worked_out_without_sympy_reads_as_sympy_writes_it(monkeypatch):
    from itertools import product

    from backpropcli import explain
    from backpropcli.monomial import worked_out

    # every local-gradient template of the op table, with its arguments numbers or names: wherever the
    # quick route works one out (c*x**k), sympy (the oracle, the route taken without it) writes the same
    values = ["x", "err", "(a + b)", "2", "3", "0", "1", "-1", "(-2)", "5", "1/2", "(-1/3)", "0.5"]
    quick_ones = []

    def counted(build):
        found = worked_out(build)
        quick_ones.append(found)
        return found

    for text in explain.FORMULAS:
        keys = sorted({k for k in "0123" if "{" + k + "}" in text}) + (["out"] if "{out}" in text else [])
        for chosen in product(values, repeat=len(keys)):
            value = dict(zip(keys, chosen, strict=True)).__getitem__
            with monkeypatch.context() as m:
                m.setattr(explain, "worked_out", counted)
                quick = explain._simplified(text, value)
            with monkeypatch.context() as m:
                m.setattr(explain, "worked_out", lambda build: None)
                slow = explain._simplified(text, value)
            assert quick == slow, (text, chosen)
    assert sum(found is not None for found in quick_ones) > 20
    # the power rule at a whole exponent is among them: 2*x, 3*x**2, 5*x**4
    power = "{1}*{0}**({1} - 1)"
    assert [explain._simplified(power, {"0": "x", "1": n}.__getitem__) for n in "235"] == ["2*x", "3*x**2", "5*x**4"]


@pytest.mark.parametrize("name", ["x", "err", "(a + b)", "t1"])
def test_a_monomial_prints_as_sympy_prints_it(name):
    from fractions import Fraction

    import sympy

    from backpropcli.monomial import Monomial

    for c in range(-4, 5):
        for k in range(5):
            assert Monomial(Fraction(c), name, k).text() == str(sympy.Integer(c) * sympy.Symbol(name) ** k)
