"""Real-size graphs in every picture format: a 200-step recurrence whose weight is shared by 200 gates,
an unrolled MLP, a 30-term sum. A leaf read by many gates is drawn beside each use as a marked copy,
and large DOT gets Graphviz's layout limits, so dot lays these out in seconds (bench/drawing.py times it)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from backpropcli import analyze
from backpropcli.render.graph import dot, mermaid

ROOT = Path(__file__).parent.parent
needs_dot = pytest.mark.needs_dot


def recurrence(steps: int) -> str:
    lines = ["w = 0.9", "a0 = 0.5"] + [f"a{k} = tanh(w * a{k - 1})" for k in range(1, steps + 1)]
    return "\n".join(lines) + "\n"


def sum_of_terms(n: int) -> str:
    inputs = "; ".join(f"c{i} = {i + 1}; x{i} = 0.{i + 1}" for i in range(n))
    return f"{inputs}\nf = {' + '.join(f'c{i} * x{i}' for i in range(n))}\n"


def test_a_weight_shared_by_200_gates_is_drawn_beside_each_use():
    report = analyze(recurrence(200), check=False)
    source = "".join(dot.render(report))
    w = report.graph.ids["w"]
    copies = re.findall(rf"^  (n{w}_\d+_\d+) \[label=\"w = 0.9\\ninput, shared by 200 gates\\n", source, re.M)
    assert len(copies) == 200 and len(set(copies)) == 200
    assert not re.search(rf"^  n{w} \[", source, re.M)  # no box with 200 edges
    edges = re.findall(r"^  (\w+) -> (\w+) ", source, re.M)
    assert Counter(src for src, _ in edges if src.startswith(f"n{w}_")) == Counter(copies)  # one edge each
    assert "peripheries=2" in source and "nslimit=" in source and "xlabel=" in source and ' label="' in source


def test_a_leaf_used_a_few_times_is_still_drawn_once():
    source = "".join(dot.render(analyze((ROOT / "samples" / "fanout.bp").read_text(), check=False)))
    assert "shared by" not in source and "nslimit" not in source
    assert len(re.findall(r"^  n0 -> ", source, re.M)) == 3


def test_mermaid_draws_the_same_copies():
    report = analyze(recurrence(20), check=False)
    text = "".join(mermaid.render(report))
    w = report.graph.ids["w"]
    assert len(re.findall(rf'^  n{w}_\d+_\d+\["w = 0.9<br/>input, shared by 20 gates', text, re.M)) == 20
    assert len(re.findall(rf"^  n{w}_\d+_\d+ -->", text, re.M)) == 20


@needs_dot
@pytest.mark.parametrize("name", ["recurrence200", "sum30", "mlp"])
def test_graphviz_lays_out_real_size_graphs(cli, tmp_path, name):
    """Within the command's own 60 s limit (before, the recurrence hit it); bench/drawing.py has the times."""
    if name == "mlp":
        sys.path.insert(0, str(ROOT / "bench"))
        try:
            import gen
        finally:
            sys.path.remove(str(ROOT / "bench"))
        text = "\n".join(gen.lines(gen.program("mlp", 300))) + "\n"
    else:
        text = recurrence(200) if name == "recurrence200" else sum_of_terms(30)
    program = tmp_path / f"{name}.bp"
    program.write_text(text)
    svg = tmp_path / f"{name}.svg"
    result = cli("graph", "-f", str(program), "--format", "svg", "-o", str(svg))
    assert result.code == 0, result
    assert svg.read_text().count('class="node"') > 30
    source = cli("graph", "-f", str(program), "--format", "dot").out
    done = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, timeout=60, check=False)
    assert done.returncode == 0


def test_the_html_view_of_the_recurrence_steps_through_every_gate():
    from backpropcli.explain import explain
    from backpropcli.render.html import page

    html = "".join(page.render(explain(analyze(recurrence(200), check=False))))
    assert 'data-mode="steps"' in html
    assert html.count('class="node k-positive copy"') == 200
    assert html.count('<li class="step"') == 1 + 400 + 1 + 400 + 1  # inputs, forward, start, backward, gradients


def test_the_tree_says_how_many_gates_share_a_leaf(cli, tmp_path):
    program = tmp_path / "recurrence.bp"
    program.write_text(recurrence(200))
    result = cli("graph", "-f", str(program))
    assert result.code == 0, result
    assert "w   (shared by 200 gates, shown above)" in result.out
