"""The commands agree with each other and with their help: -f, operands, messages, exit statuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backpropcli.ops import OPS

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"
LECTURE, FANOUT, SLIP = (str(SAMPLES / n) for n in ("lecture27.bp", "fanout.bp", "lecture27_slip.bp"))


def headings(out: str) -> list[str]:
    """The lines that head a program's output with its path."""
    return [line for line in out.splitlines() if line.startswith(("==> ", "## ")) and str(SAMPLES) in line]


@pytest.mark.parametrize(
    "command",
    [("eval",), ("graph",), ("explain",), ("explain", "--format", "markdown")],
    ids=lambda c: " ".join(c),
)
def test_f_is_repeatable_and_takes_several_paths_in_every_command(cli, command):
    for args in (("-f", LECTURE, "-f", FANOUT), ("-f", LECTURE, FANOUT)):
        result = cli(*command, *args)
        assert result.code == 0, result
        mark = "## {}" if "markdown" in command else "==> {} <=="
        assert headings(result.out) == [mark.format(LECTURE), mark.format(FANOUT)]


def test_check_takes_f_like_the_others(cli):
    result = cli("check", "-f", LECTURE, SLIP)
    assert result.code == 1, result
    assert f"{LECTURE}: f = 44" in result.out and f"{SLIP}: f = 15" in result.out
    assert result.out.splitlines()[-1] == "6 passed, 6 failed"


def test_f_reads_stdin_as_dash(cli):
    result = cli("graph", "-f", "-", stdin=(SAMPLES / "lecture27.bp").read_bytes())
    assert result.code == 0, result
    assert result.out.startswith("f = 44")


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_graph_refuses_several_programs_where_one_drawing_is_made(cli, fmt):
    result = cli("graph", "-f", LECTURE, FANOUT, "--format", fmt)
    assert result.code == 2 and result.out == ""
    assert result.err == f"error: --format {fmt} draws one program to one output: give one program, not 2\n"


def test_an_expression_may_start_with_a_minus(cli):
    """-x^2 at x = 3: ^ binds tighter than unary minus, so f = -9 and df/dx = -2x = -6."""
    result = cli("eval", "-x^2", "x=3", "--format", "json")
    assert result.code == 0, result
    assert '"value": -9' in result.out and '"gradients": {"x": -6}' in result.out
    assert cli("explain", "-x^2", "x=3").code == 0
    assert cli("graph", "-x^2", "x=3").out.startswith("f = -9")


def test_an_unknown_long_option_is_still_refused(cli):
    result = cli("eval", "--tolerance", "1e-3", "x", "x=1")
    assert result.code == 2
    assert result.err.startswith("error: No such option '--tolerance'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("eval", "--tol", "-1", "x", "x=1"), "error: --tol takes a relative tolerance above 0 and below 1"),
        (("eval", "--budget", "0", "x", "x=1"), "error: --budget takes a number of seconds above 0"),
        (("check", "--tol", "nan", LECTURE), "error: --tol takes a relative tolerance above 0 and below 1"),
        (("verify", "--tol", "1", "samples/verify_neuron.jsonl"), "error: --tol takes a relative tolerance above 0"),
        (("mlp", "--layers", "1,1", "--input", "1", "--target", "1", "--tol", "0"), "error: --tol takes a relative"),
    ],
)
def test_tol_and_budget_each_have_their_own_message(cli, args, message):
    result = cli(*args)
    assert result.code == 2
    assert result.err.startswith(message)
    assert ("--budget" in result.err) != ("--tol" in result.err)


def test_check_counts_the_files_it_could_not_check_and_reports_each_once(cli, tmp_path):
    bad = tmp_path / "bad.bp"
    bad.write_text("x = 3\nf = x * \n")
    result = cli("check", str(bad), LECTURE, str(tmp_path / "missing.bp"))
    assert result.code == 2
    assert result.out.splitlines()[-1] == "6 passed, 0 failed, 2 files not checked"
    assert result.err.count("error:") == 2
    assert "ends too early" not in result.out and "no such file" not in result.out


def test_check_finds_programs_in_subdirectories(cli, tmp_path):
    (tmp_path / "student" / "deep").mkdir(parents=True)
    for where in ("a.bp", "student/hw1.bp", "student/deep/hw2.bp"):
        (tmp_path / where).write_text((SAMPLES / "lecture27.bp").read_text())
    (tmp_path / "student" / "notes.txt").write_text("x")
    result = cli("check", str(tmp_path))
    assert result.code == 0, result
    heads = [line.split(":")[0] for line in result.out.splitlines() if line.endswith("f = 44")]
    assert heads == sorted(str(tmp_path / w) for w in ("a.bp", "student/hw1.bp", "student/deep/hw2.bp"))
    assert result.out.splitlines()[-1] == "18 passed, 0 failed"


def test_check_quiet_prints_the_failures_and_the_closing_line_only(cli, tmp_path):
    for k in range(30):
        (tmp_path / f"s{k:02}.bp").write_text((SAMPLES / "lecture27.bp").read_text())
    (tmp_path / "wrong.bp").write_text((SAMPLES / "wrong_backward.bp").read_text())
    loud = cli("check", str(tmp_path))
    quiet = cli("check", str(tmp_path), "--quiet")
    assert quiet.code == loud.code == 1
    assert quiet.out.splitlines()[-1] == loud.out.splitlines()[-1] == "185 passed, 1 failed"
    lines = quiet.out.splitlines()
    assert len(lines) < 10 < len(loud.out.splitlines())
    assert [line for line in lines if "✓" in line] == []
    assert sum("✗ wrong" in line for line in lines) == 1


@pytest.mark.parametrize("command", ["graph", "explain"])
def test_graph_and_explain_exit_as_their_help_says(cli, command):
    assert "1 a cross-check or claim fails" in cli(command, "--help").out
    assert cli(command, "-f", SLIP).code == 1
    assert cli(command, "-f", LECTURE).code == 0


def stderr_of(*args: str, encoding: str) -> str:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "backpropcli", *args], capture_output=True, env=env, cwd=ROOT)
    assert proc.returncode == 2
    return proc.stderr.decode(encoding)


def test_the_caret_line_shows_what_was_typed_where_the_stream_can_carry_it():
    utf8 = stderr_of("eval", "x \u2212 y", "x=1", "y=2", encoding="utf-8").splitlines()
    assert utf8[1:] == ["  x \u2212 y", "    ^"]
    ascii_only = stderr_of("eval", "x \u2212 y", "x=1", "y=2", encoding="ascii").splitlines()
    assert ascii_only[1:] == ["  x ? y", "    ^"]


def test_a_wide_character_gets_a_caret_as_wide():
    lines = stderr_of("eval", "x + \u540d", "x=1", encoding="utf-8").splitlines()
    assert lines[1:] == ["  x + \u540d", "      ^^"]


def test_ops_lists_every_op_of_the_table(cli):
    out = cli("ops").out
    for op in OPS.values():
        for name in op.functions:
            assert f"{name}(a" in out, name
        for symbol in op.symbols:
            assert (f"{symbol}a" if op.arity == (1, 1) else f"a {symbol} b") in out, symbol
    kinks = [line.split()[-1] for line in out.splitlines() if line.rstrip().endswith((" at 0", " at a tie"))]
    assert len(kinks) == sum(1 for op in OPS.values() if op.kink is not None)


def test_shell_completion_works_as_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "_BACKPROP_COMPLETE=bash_source backprop" in readme
    env = {**os.environ, "_BACKPROP_COMPLETE": "bash_source", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "backpropcli"], capture_output=True, env=env, cwd=ROOT, text=True)
    assert proc.returncode == 0 and "_backprop_completion()" in proc.stdout
