"""The Python API in a notebook: it lists itself, reads in one line, and renders as the CLI prints."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import backpropcli
from backpropcli import analyze
from backpropcli.errors import BackpropError

ROOT = Path(__file__).parent.parent
LECTURE = (ROOT / "samples" / "lecture27.bp").read_text(encoding="utf-8")


def test_dir_shows_the_api_without_loading_it():
    assert {"analyze", "Report", "__version__"} <= set(dir(backpropcli))
    assert set(backpropcli.__all__) <= set(dir(backpropcli))
    code = "import backpropcli, sys; dir(backpropcli); print('backpropcli.pipeline' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "False"  # dir() alone keeps the start-up fast


def test_repr_is_one_line():
    report = analyze(LECTURE)
    assert repr(report) == "<Report f = 44, 4 inputs, checks 19 passed 0 failed>"
    assert repr(analyze("x*y", {"x": 2, "y": 3}, check=False)) == "<Report f = 6, 2 inputs, checks not run>"


@pytest.mark.parametrize(("method", "fmt"), [("to_json", "json"), ("to_markdown", "markdown")])
def test_a_report_renders_what_the_cli_prints(cli, monkeypatch, tmp_path, method, fmt):
    path = tmp_path / "lecture.bp"
    path.write_text(LECTURE, encoding="utf-8")
    printed = cli("eval", "-f", str(path), "--format", fmt).out
    assert getattr(analyze(LECTURE, path=str(path)), method)() == printed


@pytest.mark.parametrize("width", [60, 80, 120])
def test_table_is_what_eval_prints_at_that_width(cli, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    printed = cli("eval", "-f", "-", stdin=LECTURE).out
    assert analyze(LECTURE, path="<stdin>").table(width) == printed


def test_analyze_takes_the_value_texts_of_the_command_line():
    report = analyze("x/y", {"x": "1/3", "y": 3})
    assert report.value == Fraction(1, 9)  # exact: 1/3 divided by 3
    assert report.gradients == {"x": Fraction(1, 3), "y": Fraction(-1, 27)}
    assert analyze("x*2", {"x": " 2.5e-1 "}).value == 0.5


def test_a_number_is_exact_when_all_it_is_computed_from_is_exact():
    """f = x*y with x = 1/2 exact and y = 0.25 a float: f and df/dx = y are floats, df/dy = x is
    computed from x alone and stays exact (the rule the docstring of analyze states)."""
    report = analyze("x*y", {"x": "1/2", "y": 0.25})
    assert type(report.value) is float and report.value == 0.125
    assert report.gradients == {"x": 0.25, "y": Fraction(1, 2)}
    assert type(report.gradients["x"]) is float and type(report.gradients["y"]) is Fraction


@pytest.mark.parametrize("value", [None, [1], "x"])
def test_a_value_that_is_no_number_is_an_input_error(value):
    with pytest.raises(BackpropError) as caught:
        analyze("x+1", {"x": value})
    assert caught.value.render().startswith("error: ")


def test_an_api_error_names_the_program():
    with pytest.raises(BackpropError) as caught:
        analyze("x +", {})
    assert caught.value.render().startswith("error: <program>:1:3: ")
    with pytest.raises(BackpropError) as caught:
        analyze("x +", {}, path="hw1.bp")
    assert caught.value.render().startswith("error: hw1.bp:1:3: ")
