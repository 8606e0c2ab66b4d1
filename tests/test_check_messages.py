"""What `check` says to a student: bindings, a claim that reads an unknown name, a name with no value."""

from __future__ import annotations

import json

import pytest

LECTURE = "w = 5; x = 3; y = 2; z = 4\nv = x * y\nu = w + v\nf = u * z\n"


def write(tmp_path, text: str) -> str:
    path = tmp_path / "answer.bp"
    path.write_text(text)
    return str(path)


def test_check_grades_every_other_claim_when_one_reads_a_claim_never_written(cli, tmp_path):
    path = write(tmp_path, LECTURE + "dfdu = z\ndfdx = y * dfdv\ndfdy = x * z\n")
    result = cli("check", path)
    assert result.code == 2
    assert result.err == (
        f"error: {path}:6:12: this claim uses dfdv (df/dv), but no line claims it: write dfdv = ... on a line above\n"
        "  dfdx = y * dfdv\n             ^^^^\n"
    )
    assert result.out.splitlines()[-1] == "2 passed, 1 failed"
    claims = json.loads(cli("check", path, "--format", "json").out)["files"][0]["claims"]
    assert [(c["name"], c["verdict"]) for c in claims] == [("dfdu", "correct"), ("dfdx", "error"), ("dfdy", "correct")]


def test_eval_still_refuses_a_claim_that_reads_an_unknown_name(cli):
    result = cli("eval", "--no-check", "--", LECTURE.replace("\n", ";") + "dfdx = y * dfdv")
    assert result.code == 2 and "no line claims it" in result.err


@pytest.mark.parametrize("how", [("x=3",), ("--set", "x=3"), ("--set", "x=3,y=2")])
def test_check_takes_bindings_like_eval(cli, tmp_path, how):
    path = write(tmp_path, "w = 5; z = 4\nv = x * y\nu = w + v\nf = u * z\ndfdx = y * z\n")
    result = cli("check", path, *how, *(("y=2",) if how[-1].endswith("x=3") else ()))
    assert result.code == 0, result
    assert "f = 44" in result.out and result.out.splitlines()[-1] == "1 passed, 0 failed"


def test_a_name_with_no_value_is_shown_where_it_is_read_with_a_close_name(cli, tmp_path):
    path = write(tmp_path, "x = 3; y = 2\nv = x * yy\nf = v + 1\ndfdv = 1\n")
    result = cli("check", path)
    assert result.code == 2
    assert result.err.startswith(
        f"error: {path}:2:9: no value for yy: it is read but never assigned; did you mean y? "
        "(assign it, or bind it: yy=VALUE)\n  v = x * yy\n          ^^\n"
    )
    assert cli("check", path, "yy=2").code == 0


def test_a_binding_the_file_does_not_read_is_bad_input(cli, tmp_path):
    path = write(tmp_path, LECTURE + "dfdu = z\n")
    result = cli("check", path, "q=1")
    assert result.code == 2 and "q is bound but the program has no input of that name" in result.err


def test_bindings_alone_are_not_a_path(cli):
    result = cli("check", "x=1")
    assert result.code == 2 and "no PATH given" in result.err and "NAME=VALUE binds" in result.err


@pytest.mark.parametrize(
    ("program", "message", "where"),
    [
        ("x = 1\nf = x*x\ndf/dx = 2*x\n", "write the claim dfdx = ... (no slash)", "3:7"),
        ("x = 1; y = 2; z = 3\nf = x(y+z)\n", "unknown function x(); for a product write x*(...)", "2:5"),
        ("x = 2\nf = x\u00b2\n", "SUPERSCRIPT TWO) is not allowed outside comments (use '**2')", "2:6"),
        ("x = 1\nf = sin(x\n", "'(' is never closed", "2:8"),
        ("x = 1\nf = ln(x)\n", "unknown function ln(); did you mean log()?", "2:5"),
    ],
)
def test_messages_a_student_meets_have_a_position_and_a_hint(cli, tmp_path, program, message, where):
    path = write(tmp_path, program)
    result = cli("check", path)
    assert result.code == 2
    head = result.err.splitlines()[0]
    assert head.startswith(f"error: {path}:{where}: ") and message in head, head


def test_a_line_of_a_sum_that_reads_an_unknown_name_leaves_the_sum_without_a_value(cli, tmp_path):
    path = write(tmp_path, "x = 1\nf = x * 2\ndfdx += q\ndfdx += 2\n")
    result = cli("check", path, "--format", "json")
    assert result.code == 2 and "unknown name q in a gradient claim" in result.err
    claims = json.loads(result.out)["files"][0]["claims"]
    assert [(c["part"], c["verdict"], c["written"]) for c in claims] == [
        ("adds", "error", None),
        ("adds", "correct", 2),
        ("sum", "wrong", None),
    ]
