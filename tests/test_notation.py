"""How formulas read: local gradients simplified for reading, LaTeX names that never pass for notation."""

from __future__ import annotations

import pytest

from backpropcli.explain import explain, local_text
from backpropcli.pipeline import analyze


def texts(program: str, bindings: dict) -> list[tuple[str, object]]:
    """Each edge's local-gradient text in the program's names, with the local value the pass used."""
    report = analyze(program, bindings, check=False)
    ex = explain(report)
    return [
        (local_text(report.graph, step.gate, flow.pos, lambda i: ex.names[i] or str(report.values[i])), flow.local)
        for step in ex.steps
        for flow in step.flows
    ]


@pytest.mark.parametrize(
    ("program", "shown"),
    [("x**2", "2*x"), ("x^3", "3*x**2"), ("x**(-1)", "-1/x**2"), ("x**1", "1"), ("(x+1)**2", "2*t1")],
)
def test_a_constant_exponent_is_worked_out(program, shown):
    found = texts(program, {"x": 3})
    assert found[0][0] == shown


@pytest.mark.parametrize("program", ["x**2", "x^3", "x**(-1)", "(x+1)**2", "x**(1/2)", "1/x", "x/4"])
def test_the_simplified_text_has_the_value_the_pass_used(program):
    """The oracle: the text, read back by backprop as a program at the same point, gives the local
    partial the backward pass computed."""
    report = analyze(program, {"x": 3}, check=False)
    ex = explain(report)
    point = {name: report.values[i] for i, name in enumerate(ex.names) if name is not None}
    for step in ex.steps:
        for flow in step.flows:
            text = local_text(report.graph, step.gate, flow.pos, lambda i: ex.names[i] or str(report.values[i]))
            used = {name: value for name, value in point.items() if name in text}
            value = analyze(f"{text} + 0*zz", {**used, "zz": 0}, check=False).value
            assert value == pytest.approx(flow.local, rel=1e-12), text


def test_text_and_tables_say_2x_not_the_template():
    report = analyze("x**2 + y**-1", {"x": 3, "y": 2}, check=False)
    from backpropcli.render.eval import RENDERERS, Options

    markdown = "".join(RENDERERS["markdown"](report, Options()))
    assert "scales: 2*x" in markdown and "scales: -1/y**2" in markdown
    assert "**(2 - 1)" not in markdown and "((-1) - 1)" not in markdown


def latex(program: str, bindings: dict) -> str:
    from backpropcli.render.explain.latex import render

    return "".join(render(explain(analyze(program, bindings, check=False))))


def test_a_variable_called_e_is_not_eulers_number():
    tex = latex("e = exp(-d)\nf = 1 + e", {"d": 1})
    assert "e &= \\exp{\\left(t_{1} \\right)}" in tex
    assert "e^{" not in tex
    assert "e^{t_{1}}" in latex("f = 1 + exp(-x)", {"x": 1})  # without a variable e, the usual notation


def test_temporaries_do_not_pass_for_the_programs_own_indexed_names():
    tex = latex("f = t0*x + x*x", {"x": 1, "t0": 2})
    assert "t_{0}" in tex and "\\tau_{1} &= t_{0} \\cdot x" in tex
    assert "t_{1}" not in tex and "t_{2}" not in tex
    assert "t_{1} &= x \\cdot x" in latex("f = x*x + x", {"x": 1})  # no clash: t as before
    words = latex("f = t0*x + (x - 1)/2", {"x": 3, "t0": 2})
    assert "it scales: 1/2, -$\\tau_{2}$/4;" in words  # the words name the gate as the formulas do
