"""`backprop check` machine formats: JSON against its schema, JUnit parsed back, GitHub annotations escaped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from backpropcli.render.check.github import escape

ROOT = Path(__file__).parent.parent
CASES = sorted(str(p) for p in (Path(__file__).parent / "cases").glob("check_*.bp"))
SLIP = str(ROOT / "samples" / "lecture27_slip.bp")
SCHEMA = json.loads(resources.files("backpropcli").joinpath("schema/check.schema.json").read_text())


@pytest.fixture
def bad(tmp_path: Path) -> str:
    path = tmp_path / "bad.bp"
    path.write_text("x = 3\nf = x * \n")
    return str(path)


def test_json_is_valid_and_the_summary_matches_the_closing_line(cli, bad):
    result = cli("check", *CASES, SLIP, bad, "--format", "json")
    assert result.code == 2
    data = json.loads(result.out)
    jsonschema.validate(data, SCHEMA)
    summary = data["summary"]
    closing = f"{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} file not checked"
    assert result.err.rstrip().endswith(closing)
    assert summary["errors"] == 1
    assert [f["status"] for f in data["files"]][-1] == "error"
    assert data["files"][-1]["error"] == {
        "message": "the expression ends too early: an operand is missing",
        "line": 2,
        "col": 7,
    }


def test_json_records_steps_intervals_and_inherited_lines(cli):
    data = json.loads(cli("check", SLIP, *CASES, "--format", "json").out)
    files = {Path(f["path"]).name: f for f in data["files"]}
    dfdx = next(c for c in files["lecture27_slip.bp"]["claims"] if c["name"] == "dfdx")
    assert (dfdx["written"], dfdx["step"], dfdx["true"], dfdx["verdict"]) == (8, 2, 2, "inherited")
    assert dfdx["inherits_from"] == [{"name": "dfdu", "line": 7}]
    assert dfdx["formula"] == "y * dfdv"
    dfdb = next(c for c in files["check_kinks.bp"]["claims"] if c["name"] == "dfdb")
    assert (dfdb["interval"], dfdb["true_text"], dfdb["how"]) == ([0, 1], "1/2", "kink")


def test_json_schema_rejects_an_ok_that_contradicts_the_verdict(cli):
    data = json.loads(cli("check", SLIP, "--format", "json").out)
    data["files"][0]["claims"][0]["ok"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_json_is_identical_across_runs(cli):
    first = cli("check", *CASES, "--format", "json").out
    assert first == cli("check", *CASES, "--format", "json").out


def test_junit_parses_back_with_one_case_per_claim(cli, bad):
    result = cli("check", SLIP, str(ROOT / "samples" / "lecture27.bp"), bad, "--format", "junit")
    assert result.code == 2
    root = ET.fromstring(result.out.encode("ascii"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("13", "6", "1")
    suites = root.findall("testsuite")
    assert [len(s.findall("testcase")) for s in suites] == [6, 6, 1]
    failures = suites[0].findall("testcase/failure")
    assert [f.get("type") for f in failures] == ["wrong", "wrong", "inherited", "inherited", "inherited", "inherited"]
    assert suites[0].find("testcase").get("name") == "line 7: dfdu"
    assert suites[2].find("testcase/error").get("message").startswith("the expression ends too early")


def test_junit_survives_a_path_xml_cannot_carry(cli, tmp_path):
    odd = tmp_path / "odd\x01name.bp"
    odd.write_text("x = 3\nf = x * x\ndfdx = 2 * x\n")
    root = ET.fromstring(cli("check", str(odd), "--format", "junit").out.encode("ascii"))
    assert root.find("testsuite").get("name").endswith("odd?name.bp")


def test_github_writes_one_error_per_failing_line(cli, bad):
    result = cli("check", SLIP, str(ROOT / "samples" / "lecture27.bp"), bad, "--format", "github")
    lines = result.out.splitlines()
    assert lines[-1] == "6 passed, 6 failed, 1 file not checked"
    annotations = lines[:-1]
    assert all(line.startswith("::error file=") for line in annotations)
    assert len(annotations) == 6 + 1
    assert annotations[0] == (
        f"::error file={SLIP},line=7,col=1,title=dfdu%3A wrong::dfdu: wrong (written 4, "
        "true 1): f = u + z, so df/du = 1 and dfdu should be 1"
    )
    assert annotations[-1].startswith(f"::error file={bad},line=2,col=7,title=backprop check%3A bad input::")


def test_github_escapes_what_could_inject_a_command(cli, tmp_path):
    sneaky = tmp_path / "a,b:c%d\n::warning::x.bp"
    sneaky.write_text("x = 3\nf = x * x\ndfdx = x\n")
    result = cli("check", str(sneaky), "--format", "github")
    lines = result.out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("::error file=")
    assert "a%2Cb%3Ac%25d%0A%3A%3Awarning%3A%3Ax.bp,line=3" in lines[0]


def test_escape_follows_the_workflow_command_rules():
    assert escape("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape("\x1b[31m") == "?[31m"


def test_a_warning_is_titled_by_what_it_is_about(cli, tmp_path):
    """A file without claims is "no claims"; a file whose claims are graded but one gradient does not
    exist (floor jumps at 2) carries a warning that is not about claims, and says so, in github and junit."""
    (tmp_path / "bare.bp").write_text("x = 2\nf = 3 * x\n")
    (tmp_path / "jump.bp").write_text("x = 2; y = 1\nf = 3 * floor(x) + y\ndfdy = 1\n")
    github = cli("check", str(tmp_path), "--format", "github").out.splitlines()
    titles = {line.split("file=")[1].split(",")[0].rsplit("/", 1)[-1]: line for line in github if "::warning" in line}
    assert "title=backprop check%3A no claims::no gradient claims" in titles["bare.bp"]
    assert "title=backprop check%3A warning::df/dx does not exist here" in titles["jump.bp"]
    junit = cli("check", str(tmp_path), "--format", "junit").out
    assert 'name="no claims" file="' + str(tmp_path / "bare.bp") in junit
    assert 'name="warning" file="' + str(tmp_path / "jump.bp") in junit
