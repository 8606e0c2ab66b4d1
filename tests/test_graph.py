"""`backprop graph`: every picture against reviewed golden files, and what each picture promises.

Rewrite the goldens on purpose with `pytest --update-goldens` and review the diff. Tests that need
Graphviz's dot program skip where it is not installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from backpropcli import analyze
from backpropcli.render.graph import dot
from backpropcli.render.graph.tree import MAX_DEPTH, MAX_LINES, render

ROOT = Path(__file__).parent.parent
CASES = Path(__file__).parent / "cases"
GOLDEN = Path(__file__).parent / "golden"
GRAPH_CASES = sorted(p.stem for p in CASES.glob("graph_*.bp"))
EXTENSIONS = {"tree": "tree.txt", "dot": "dot", "mermaid": "mmd"}
needs_dot = pytest.mark.needs_dot


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
@pytest.mark.parametrize("case", GRAPH_CASES)
def test_picture_matches_golden(cli, matches_golden, case, fmt):
    result = cli("graph", "-f", str(CASES / f"{case}.bp"), "--format", fmt)
    assert result.code == 0, result
    golden = GOLDEN / f"{case}.{EXTENSIONS[fmt]}"
    matches_golden(golden, result.out)


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_the_same_input_gives_the_same_bytes(cli, fmt):
    first = cli("graph", "-f", str(CASES / "graph_mixed.bp"), "--format", fmt)
    second = cli("graph", "-f", str(CASES / "graph_mixed.bp"), "--format", fmt)
    assert first.code == second.code == 0
    assert first.out == second.out


def test_x_times_x_keeps_two_edges_with_their_own_labels(cli):
    result = cli("graph", "x*x", "x=3", "--format", "dot")
    assert result.code == 0, result
    edges = [line for line in result.out.splitlines() if "->" in line]
    assert edges == [f'  n0 -> n1 [label="1 {dot.TIMES} 3 = 3"];'] * 2


def test_node_ids_are_creation_order_indices(cli):
    result = cli("graph", "-f", str(ROOT / "samples" / "sigmoid_neuron.bp"), "--format", "dot")
    declared = re.findall(r"^  (n\d+) \[label=", result.out, flags=re.MULTILINE)
    assert declared == [f"n{i}" for i in range(len(declared))]
    mermaid = cli("graph", "-f", str(ROOT / "samples" / "sigmoid_neuron.bp"), "--format", "mermaid")
    assert re.findall(r'^  (n\d+)\["', mermaid.out, flags=re.MULTILINE) == declared


def test_mermaid_writes_user_syntax_as_entity_codes(cli):
    result = cli("graph", "-f", str(CASES / "graph_labels.bp"), "--format", "mermaid")
    labels = re.findall(r'\["(.*)"\]$', result.out, flags=re.MULTILINE)
    assert labels and all(not set('"<>&#`|{}[]\\') & set(re.sub(r"#\d+;|<br/>", "", label)) for label in labels)
    assert "#34;q#34;" in result.out  # the comment's "q"


def _svg_texts(svg: str) -> Counter:
    root = ET.fromstring(svg)
    return Counter(el.text for el in root.iter("{http://www.w3.org/2000/svg}text"))


def _label_lines(report) -> Counter:
    """Every line of text the DOT source puts on the picture: node labels, edge labels, the legend."""
    lines = [dot.LEGEND.format(out=report.output)]
    for i in dot.drawn(report):
        lines += dot.node_lines(report, i)
    for _, _, text in dot.edges(report):
        lines += text.splitlines()
    return Counter(lines)


@needs_dot
def test_svg_names_every_node(cli, tmp_path):
    path = tmp_path / "mixed.svg"
    result = cli("graph", "-f", str(CASES / "graph_mixed.bp"), "--format", "svg", "-o", str(path))
    assert result.code == 0, result
    assert result.out == ""
    svg = path.read_text(encoding="utf-8")
    report = analyze((CASES / "graph_mixed.bp").read_text(), check=False)
    titles = {el.text for el in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}title")}
    assert {f"n{i}" for i in dot.drawn(report)} <= titles
    assert _svg_texts(svg) == _label_lines(report)


@needs_dot
def test_svg_goes_to_stdout_when_it_is_not_a_terminal(cli):
    result = cli("graph", "x*y", "x=1", "y=2", "--format", "svg")
    assert result.code == 0, result
    assert result.out.lstrip().startswith("<?xml") and "</svg>" in result.out


@needs_dot
def test_png_is_a_png(cli, tmp_path):
    path = tmp_path / "lecture.png"
    result = cli("graph", "-f", str(ROOT / "samples" / "lecture27.bp"), "--format", "png", "-o", str(path))
    assert result.code == 0, result
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_committed_svg_comes_from_the_current_code():
    """docs/lecture27.svg carries exactly the text the current DOT of the lecture sample puts on it."""
    report = analyze((ROOT / "samples" / "lecture27.bp").read_text(), check=False)
    svg = (ROOT / "docs" / "lecture27.svg").read_text(encoding="utf-8")
    assert _svg_texts(svg) == _label_lines(report), "regenerate it with the command in docs/see-it.md"


def test_missing_dot_says_how_to_install_it(cli, monkeypatch, tmp_path):
    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    result = cli("graph", "x*y", "x=1", "y=2", "--format", "png", "-o", str(tmp_path / "g.png"))
    assert result.code == 2
    assert result.err.startswith("error: --format png needs the Graphviz program dot")
    assert "install Graphviz" in result.err and "--format dot" in result.err and "--format mermaid" in result.err
    assert "Traceback" not in result.err and not (tmp_path / "g.png").exists()


def test_a_failing_dot_is_one_error_line(cli, monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: <stdin>: syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(dot.shutil, "which", lambda name: str(fake))
    result = cli("graph", "x*y", "x=1", "y=2", "--format", "svg", "-o", str(tmp_path / "g.svg"))
    assert result.code == 2
    assert result.err == "error: dot failed with exit status 1: Error: <stdin>: syntax error in line 1\n"


def test_a_slow_dot_is_stopped(cli, monkeypatch, tmp_path):
    """No dot runs here: a stand-in that times out, so the test needs no Graphviz."""

    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], dot.DOT_TIMEOUT)

    monkeypatch.setattr(dot.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(dot.subprocess, "run", slow)
    result = cli("graph", "x*y", "x=1", "y=2", "--format", "svg", "-o", str(tmp_path / "g.svg"))
    assert result.code == 2
    assert result.err.startswith(f"error: dot did not lay out the graph within {dot.DOT_TIMEOUT} s")


def test_out_file_gets_the_text_and_stdout_stays_empty(cli, tmp_path):
    path = tmp_path / "g.tree"
    result = cli("graph", "-f", str(CASES / "graph_lecture27.bp"), "-o", str(path))
    assert result.code == 0 and result.out == ""
    assert path.read_text(encoding="utf-8") == (GOLDEN / "graph_lecture27.tree.txt").read_text(encoding="utf-8")


def test_an_unwritable_out_file_is_an_input_error(cli, tmp_path):
    result = cli("graph", "x*y", "x=1", "y=2", "--format", "dot", "-o", str(tmp_path / "no" / "such" / "g.dot"))
    assert result.code == 2
    assert result.err.startswith("error: cannot write") and "Traceback" not in result.err


def test_bad_input_is_one_error_line(cli):
    result = cli("graph", "x*", "x=1")
    assert result.code == 2
    assert result.err.startswith("error: <expr>:1:") and "Traceback" not in result.err


def _colours(monkeypatch, no_color: bool) -> str:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    console = Console(force_terminal=True, color_system="standard", width=100)
    with console.capture() as capture:
        console.print(render(analyze("x*y - y", {"x": 2, "y": 3}, check=False)))
    return capture.get()


def test_tree_colours_follow_the_gradient_sign_on_a_terminal(monkeypatch):
    shown = _colours(monkeypatch, no_color=False)
    assert "\x1b[32m∂f/∂y = 1" in shown  # positive: green
    assert "\x1b[1;32m∂f/∂x = 3" in shown  # the largest: bold


def test_tree_has_no_colour_under_no_color(monkeypatch):
    shown = _colours(monkeypatch, no_color=True)
    codes = [int(c) for params in re.findall(r"\x1b\[([0-9;]*)m", shown) for c in params.split(";") if c]
    assert not [c for c in codes if 30 <= c <= 38 or 90 <= c <= 97]


def test_tree_off_a_terminal_is_plain_text(cli):
    result = cli("graph", "x*y - y", "x=2", "y=3")
    assert result.code == 0 and "\x1b" not in result.out


def test_a_deep_chain_is_cut_at_the_depth_limit_without_recursion(cli):
    program = "x = 1\na0 = x + 1\n" + "".join(f"a{i} = a{i - 1} * 1\n" for i in range(1, 5000))
    tree = cli("graph", "-", stdin=program)
    assert tree.code == 0, tree
    assert f"(depth limit {MAX_DEPTH})" in tree.out
    assert len(tree.out.splitlines()) < 4 * MAX_DEPTH  # wrapped labels included
    drawing = cli("graph", "-", "--format", "dot", stdin=program)
    assert len(re.findall(r"^  n\d+ \[label=", drawing.out, flags=re.MULTILINE)) == 1 + 2 * 5000


def test_a_wide_tree_stops_at_the_line_limit(cli):
    result = cli("graph", "max(" + ", ".join(f"x{i}" for i in range(600)) + ")", *[f"x{i}={i}" for i in range(600)])
    assert result.code == 0, result
    assert f"the tree stops at {MAX_LINES} lines" in result.out


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_an_image_is_never_written_into_a_terminal():
    import pty

    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "backpropcli", "graph", "x*y", "x=1", "y=2", "--format", "png"],
        stdout=follower,
        stderr=subprocess.PIPE,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    os.close(follower)
    os.close(leader)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("error: --format png makes an image, which a terminal cannot show")
