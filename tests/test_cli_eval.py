"""`backprop eval` through the real entry point: outputs, exit statuses, error lines."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent.parent / "samples"


def test_lecture_expression_gives_the_lecture_numbers(cli):
    result = cli("eval", "(w+x*y)*z", "w=5", "x=3", "y=2", "z=4", "--format", "json")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data["value"] == 44
    assert data["gradients"] == {"w": 4, "x": 8, "y": 12, "z": 11}
    assert data["checks"]["failed"] == 0 and data["checks"]["passed"] > 0


def test_set_option_and_positional_bindings_agree(cli):
    a = cli("eval", "(w+x*y)*z", "--set", "w=5,x=3", "--set", "y=2,z=4", "--format", "json")
    b = cli("eval", "(w+x*y)*z", "w=5", "x=3", "y=2", "z=4", "--format", "json")
    assert a.code == b.code == 0
    assert json.loads(a.out)["gradients"] == json.loads(b.out)["gradients"]


def test_lecture_program_from_file_and_from_stdin(cli):
    path = str(SAMPLES / "lecture27.bp")
    from_file = cli("eval", "-f", path, "--format", "json", "--json-version", "1")
    from_stdin = cli("eval", "-", "--format", "json", stdin=(SAMPLES / "lecture27.bp").read_bytes())
    assert from_file.code == from_stdin.code == 0
    data = json.loads(from_file.out)
    assert data["intermediate_gradients"] == {"v": 4, "u": 4}
    assert [c["verdict"] for c in data["claims"]] == ["correct"] * 6
    assert json.loads(from_stdin.out)["gradients"] == data["gradients"]


def test_table_shows_ledger_gradients_claims_and_closing_line(cli):
    result = cli("eval", "-f", str(SAMPLES / "lecture27.bp"))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "f = 44"
    assert lines[-1] == "checks: 19 passed, 0 failed"
    assert "mul swaps" in result.out and "add distributes" in result.out
    assert "y*z" in result.out  # sympy's symbolic derivative of f by x


def test_fan_out_sum_is_shown(cli):
    result = cli("eval", "x*x + x", "x=3")
    assert result.code == 0
    assert "3 + 3 + 1 = 7" in result.out


def test_exact_fraction_output(cli):
    result = cli("eval", "x/y", "x=1", "y=3", "--format", "json")
    data = json.loads(result.out)
    assert data["value_text"] == "1/3"
    assert data["nodes"]["grad_text"]["1"] == "-1/9"


def test_wrong_claim_exits_1_and_names_the_line(cli):
    result = cli("eval", "-f", str(SAMPLES / "wrong_backward.bp"))
    assert result.code == 1
    assert "checks: 18 passed, 1 failed" in result.out.splitlines()[-1]


def test_markdown_output(cli):
    result = cli("eval", "(w+x*y)*z", "w=5", "x=3", "y=2", "z=4", "--format", "markdown")
    assert result.code == 0
    assert "| gate | op | value |" in result.out
    assert result.out.rstrip().endswith("checks: 13 passed, 0 failed")


def test_no_check_skips_sympy_and_says_so(cli):
    result = cli("eval", "x*y", "x=2", "y=5", "--no-check")
    assert result.code == 0
    assert "cross-check not run" in result.out


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (("eval", "x*"), b"", "<expr>:1:2: the expression ends too early"),
        (("eval", "x*y", "x=1"), b"", "no value for y"),
        (("eval", "x*y", "x=1", "y=2", "q=3"), b"", "q is bound but the program has no input"),
        (("eval", "x*y", "x=abc", "y=2"), b"", "is not a number"),
        (("eval", "-f", "/nonexistent/file.bp"), b"", "no such file"),
        (("eval", "-"), b"", "the input is empty"),
        (("eval", "log(x)", "x=0"), b"", "log(0) is undefined"),
        (("eval", "x*y", "--format", "yaml"), b"", "error: Invalid value for '--format'"),
        (("eval",), b"", "no expression given"),
    ],
    ids=["syntax", "missing", "unknown-binding", "bad-value", "no-file", "empty-stdin", "domain", "usage", "no-expr"],
)
def test_bad_input_is_one_error_line_and_exit_2(cli, args, stdin, fragment):
    result = cli(*args, stdin=stdin)
    assert result.code == 2, result
    assert result.err.startswith("error: ")
    assert fragment in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_caret_points_at_the_column(cli):
    result = cli("eval", "x + y $ 2", "x=1", "y=2")
    lines = result.err.splitlines()
    assert lines[0].startswith("error: <expr>:1:7:")
    assert lines[1] == "  x + y $ 2"
    assert lines[2] == "        ^"


def test_module_entry_point_and_version():
    done = subprocess.run(
        [sys.executable, "-m", "backpropcli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert done.stdout.startswith("backprop, version ")


def test_a_subprocess_runs_the_package_under_test():
    """Subprocess tests start from the checkout's root: in CI (PYTHONSAFEPATH=1, the wheel installed)
    they must still run the installed package, exactly the one this process imported."""
    import backpropcli

    code = "import backpropcli; print(backpropcli.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=SAMPLES.parent, capture_output=True, text=True, timeout=60, check=True
    )
    assert Path(done.stdout.strip()).resolve() == Path(backpropcli.__file__).resolve()


@pytest.mark.parametrize(
    "option", [("--tol", "inf"), ("--tol", "nan"), ("--tol", "0"), ("--budget", "-1"), ("--rows", "\uff15")]
)
def test_options_that_would_pass_anything_are_refused(cli, option):
    result = cli("eval", "x*y", "x=1", "y=2", *option)
    assert result.code == 2
    assert result.err.startswith("error: ")


def test_an_exact_power_beyond_the_float_range_keeps_its_gradient(cli):
    """d/dx x**2 at x = 10**200 is 2*10**200, exact; the exponent's own slope (x**2 * log x) is
    beyond the float range, but the exponent is a constant and needs none."""
    big = 10**200
    out = cli("eval", "x**2", f"x={big}", "--format", "json")
    assert out.code == 0, out.err
    doc = json.loads(out.out)
    assert doc["gradients"]["x"] == 2 * big and doc["checks"]["failed"] == 0


def test_json_writes_a_fraction_beyond_the_float_range_as_its_nearest_integer(cli):
    big = 10**400
    out = cli("eval", "x/3", f"x={big}", "--no-check", "--format", "json")
    assert out.code == 0, out.err
    doc = json.loads(out.out)
    assert doc["value"] == round(Fraction(big, 3)) and doc["value_text"] == f"{big}/3"


def test_an_input_exponent_whose_slope_is_beyond_the_float_range_says_so(cli):
    out = cli("eval", "x**y", f"x={10**200}", "y=2", "--no-check")
    assert out.code == 2
    assert out.err.startswith(
        "error: <expr>:1:1: pow(1000000000000000...0000 (201 characters), 2): a local "
        "derivative is too large for a float\n"
    )


@pytest.mark.parametrize(
    ("expr", "binding", "slope"),
    [
        ("(x/3)**y", {"x": 10**400, "y": 0}, math.log(10**400) - math.log(3)),  # a fraction beyond the float range
        ("(3/x)**y", {"x": 10**400, "y": 0}, math.log(3) - math.log(10**400)),  # one that would round to 0.0
    ],
)
def test_the_exponent_slope_of_an_exact_fraction_beyond_the_float_range(cli, expr, binding, slope):
    out = cli("eval", expr, *(f"{k}={v}" for k, v in binding.items()), "--format", "json")
    assert out.code == 0, out.err
    assert math.isclose(json.loads(out.out)["gradients"]["y"], slope, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("expr", "binding", "says"),
    [
        ("x**y", "x=10.0", "pow(10.0, 308): a local derivative is too large for a float"),
        ("x**-2", "x=1e-103", "pow(1e-103, -2): a local derivative is too large for a float"),
        ("1/x", "x=1e-200", "div(1, 1e-200): a local derivative is too large for a float"),
    ],
)
def test_a_slope_too_large_for_a_float_is_told_apart_from_no_slope(cli, expr, binding, says):
    out = cli("eval", expr, binding, "y=308", "--no-check") if "y" in expr else cli("eval", expr, binding, "--no-check")
    assert out.code == 2 and out.err.splitlines()[0].endswith(says), out.err


@pytest.mark.parametrize("command", ["eval", "check", "explain", "graph"])
def test_an_exact_gradient_past_the_float_range_stops_at_its_gate_in_every_command(cli, tmp_path, command):
    # x's gradient is y + z = 2**4096: past the exact limit and with no float, though every value fits
    path = tmp_path / "big.bp"
    path.write_text("x = 1/2\ny = 2**2048 * 2**2047\nz = 2**2048 * 2**2047\nf = x*y + x*z\n")
    out = cli(command, "-f", str(path)) if command != "check" else cli(command, str(path))
    first = out.err.splitlines()[0]
    assert out.code == 2 and first.startswith(f"error: {path}:4:5: mul(1/2, "), out.err
    assert first.endswith("): the gradient it passes to its argument is too large for a float"), out.err


@pytest.mark.parametrize(
    "args", [("-f", "-", "-f", "-"), ("-f", "-", "-"), ("-f", "-", str(SAMPLES / "fanout.bp"), "-"), ("-", "-")]
)
def test_stdin_given_twice_is_refused_before_anything_is_read(cli, args):
    """The first '-' would read all of stdin and the second find it empty."""
    result = cli("eval", *args, stdin=(SAMPLES / "lecture27.bp").read_bytes())
    assert result.code == 2, result
    assert result.err == "error: stdin ('-') is given more than once, but it can be read only once\n"
    assert result.out == ""


def test_stdin_once_among_several_programs_is_read(cli):
    result = cli(
        "eval", "-f", "-", str(SAMPLES / "fanout.bp"), "--format", "json", stdin=(SAMPLES / "lecture27.bp").read_bytes()
    )
    assert result.code == 0, result
    assert [json.loads(line)["path"] for line in result.out.splitlines()] == ["<stdin>", str(SAMPLES / "fanout.bp")]


@pytest.mark.parametrize("command", ["explain", "graph"])
def test_explain_and_graph_refuse_stdin_twice_too(cli, command):
    result = cli(command, "-f", "-", "-", stdin=(SAMPLES / "lecture27.bp").read_bytes())
    assert result.code == 2, result
    assert result.err == "error: stdin ('-') is given more than once, but it can be read only once\n"
    assert cli(command, "-f", "-", stdin=(SAMPLES / "lecture27.bp").read_bytes()).code == 0
