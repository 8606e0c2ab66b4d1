"""`backprop check` through the real entry point: batches, exit statuses, error lines, --require-all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"
CASES = Path(__file__).parent / "cases"
CLOSING = re.compile(r"\d+ passed, \d+ failed")
LECTURE = "w = 5; x = 3; y = 2; z = 4\nv = x * y\nu = w + v\nf = u * z\n"


def last_line(text: str) -> str:
    return text.rstrip("\n").rsplit("\n", 1)[-1]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_right_backward_pass_exits_0_and_ends_with_the_count(cli):
    result = cli("check", str(SAMPLES / "lecture27.bp"))
    assert result.code == 0, result
    assert last_line(result.out) == "6 passed, 0 failed"
    assert result.err == ""


def test_a_wrong_claim_exits_1(cli):
    result = cli("check", str(SAMPLES / "lecture27.bp"), str(SAMPLES / "wrong_backward.bp"))
    assert result.code == 1, result
    assert last_line(result.out) == "11 passed, 1 failed"
    assert re.search(r"\n +11 +dfdx +12 +8 +✗ wrong +v = x \* y, so dv/dx = y", result.out)


def test_a_bad_file_is_reported_with_a_caret_and_the_others_are_still_checked(cli, tmp_path):
    bad = write(tmp_path, "bad.bp", "x = 3\nf = x * \n")
    result = cli("check", bad, str(SAMPLES / "wrong_backward.bp"))
    assert result.code == 2, result
    assert result.err.startswith(f"error: {bad}:2:7: the expression ends too early")
    assert result.err.splitlines()[2].strip() == "^"
    assert "wrong_backward.bp: f = 44" in result.out
    assert "ends too early" not in result.out  # the message once, on stderr
    assert last_line(result.out) == "5 passed, 1 failed, 1 file not checked"


def test_a_directory_means_its_bp_files_sorted(cli, tmp_path):
    for name in ("b.bp", "a.bp", "c.txt"):
        write(tmp_path, name, LECTURE + "dfdu = z\n")
    (tmp_path / "d.bp").mkdir()
    result = cli("check", str(tmp_path))
    assert result.code == 0, result
    heads = [line.split(":")[0] for line in result.out.splitlines() if line.endswith("f = 44")]
    assert heads == [str(tmp_path / "a.bp"), str(tmp_path / "b.bp")]
    assert last_line(result.out) == "2 passed, 0 failed"


def test_a_directory_without_programs_is_bad_input(cli, tmp_path):
    result = cli("check", str(tmp_path))
    assert result.code == 2
    assert result.err.strip() == f"error: {tmp_path}: no .bp files in this directory"


def test_stdin_and_missing_files(cli, tmp_path):
    ok = cli("check", "-", stdin=(SAMPLES / "lecture27.bp").read_bytes())
    assert ok.code == 0 and "<stdin>: f = 44" in ok.out
    missing = cli("check", str(tmp_path / "nope.bp"))
    assert missing.code == 2 and "no such file" in missing.err


@pytest.mark.parametrize(
    ("claims", "message", "where"),
    [
        ("dfdq = 1\n", "dfdq reads as a claim about df/dq, but q is not defined", "5:1"),
        ("dfdu = z\ndf_du = z\n", "df_du: df/du is already claimed on line 5", "6:1"),
        ("dfdw = dfdu\ndfdu = z\n", "this claim uses dfdu, which is claimed later, on line 6", "5:8"),
        ("dfdu = q\n", "unknown name q in a gradient claim", "5:8"),
        ("dudw = 1\ndu_dw = 1\n", "du_dw: du/dw is already claimed on line 5", "6:1"),
        ("dfdu = dfdu\n", "this claim uses dfdu", "5:8"),
    ],
)
def test_claims_that_cannot_be_graded_are_errors_with_their_line(cli, tmp_path, claims, message, where):
    path = write(tmp_path, "claims.bp", LECTURE + claims)
    result = cli("check", path)
    assert result.code == 2, result
    assert result.err.startswith(f"error: {path}:{where}: {message}")


def test_require_all_fails_a_file_with_unclaimed_nodes(cli):
    partial = str(CASES / "check_partial.bp")
    assert cli("check", partial).code == 0
    result = cli("check", partial, "--require-all")
    assert result.code == 1
    missing = [line.split()[1] for line in result.out.splitlines() if "missing" in line]
    assert missing == ["dfdw", "dfdx", "dfdy", "dfdv"]
    assert last_line(result.out) == "2 passed, 4 failed"


def test_require_all_passes_a_complete_backward_pass(cli):
    result = cli("check", str(SAMPLES / "lecture27.bp"), "--require-all")
    assert result.code == 0 and last_line(result.out) == "6 passed, 0 failed"


def test_output_option_picks_the_node_the_claims_are_about(cli, tmp_path):
    path = write(tmp_path, "loss.bp", "x = 3\nL = x * x\ng = L + 1\ndLdx = 2 * x\n")
    assert cli("check", path).code == 0  # without --output, dLdx is the local gradient dL/dx inside g
    result = cli("check", path, "--output", "L")
    assert result.code == 0, result
    assert last_line(result.out) == "1 passed, 0 failed"


@pytest.mark.parametrize("args", [(), ("--tol", "0", "x.bp"), ("--format", "xml", "x.bp")])
def test_usage_errors_exit_2(cli, args):
    result = cli("check", *args)
    assert result.code == 2
    assert result.err.startswith("error: ")


def test_closing_line_is_alone_and_last_in_every_human_format(cli):
    for fmt in ("table", "github"):
        result = cli("check", str(SAMPLES / "lecture27_slip.bp"), "--format", fmt)
        assert result.code == 1
        assert CLOSING.fullmatch(last_line(result.out)), fmt
        assert last_line(result.out) == "0 passed, 6 failed"


def test_a_file_name_cannot_inject_escapes_or_commands(cli, tmp_path):
    evil = "x\x1b[2J\n::warning::y"
    write(tmp_path, f"{evil}.bp", LECTURE + "dfdu = z\n")
    write(tmp_path, f"{evil}2.bp", "x = 3\nf = x * \n")
    result = cli("check", str(tmp_path))
    assert result.code == 2
    for stream in (result.out, result.err):
        assert "\x1b" not in stream
        assert not any(line.startswith("::") for line in stream.splitlines())
    assert "x\\x1b[2J\\n::warning::y.bp: f = 44" in result.out  # escaped as Python writes them
    assert "x\\x1b[2J\\n::warning::y2.bp:2:7: the expression ends too early" in result.err


@pytest.mark.parametrize("paths", [("-", "-"), ("-", str(SAMPLES), "-")])
def test_stdin_given_twice_is_refused_before_anything_is_read(cli, paths):
    """The first '-' would read all of stdin and the second find it empty."""
    result = cli("check", *paths, stdin=(SAMPLES / "lecture27.bp").read_bytes())
    assert result.code == 2, result
    assert result.err == "error: stdin ('-') is given more than once, but it can be read only once\n"
    assert result.out == ""
