"""What `backprop check` shows, against reviewed golden files (rewrite with pytest --update-goldens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.relative_to(ROOT).as_posix() for p in (Path(__file__).parent / "cases").glob("check_*.bp"))

RUNS = {f"check_{Path(case).stem.removeprefix('check_')}": (case,) for case in CASES}
RUNS.update(
    {
        "check_lecture27_slip": ("samples/lecture27_slip.bp",),
        "check_partial_require_all": ("tests/cases/check_partial.bp", "--require-all"),
        "check_batch_github": (*CASES, "samples/lecture27_slip.bp", "--format", "github"),
    }
)
# The exit status each run must give.
STATUS = {
    "check_batch_github": 1,
    "check_coincidence": 1,
    "check_kinks": 1,
    "check_lecture27_slip": 1,
    "check_partial": 0,
    "check_partial_require_all": 1,
    "check_short_names": 0,
    "check_undefined": 1,
    "check_verdicts": 1,
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_check_output_matches_golden(cli, monkeypatch, matches_golden, name):
    monkeypatch.chdir(ROOT)
    result = cli("check", *RUNS[name])
    assert result.code == STATUS[name], result
    assert result.err == ""
    golden = GOLDEN / f"{name}.txt"
    matches_golden(golden, result.out)


def test_hook_manifest_runs_check_on_bp_files():
    """The pre-commit manifest: the entry is this command, on .bp files only, in a Python environment."""
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    fields = dict(re.findall(r"^\s*-?\s*(id|entry|language|files):\s*(.+)$", text, re.M))
    assert fields["entry"] == "backprop check"
    assert fields["language"] == "python"
    pattern = re.compile(fields["files"].strip("'\""))
    assert pattern.search("homework/lecture27.bp") and not pattern.search("notes.bp.txt")
