"""The README's transcripts are what the commands print, byte for byte, at 80 columns."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```\n\$ (backprop [^\n]*)\n(.*?)^```$", re.S | re.M)
TRANSCRIPTS = BLOCK.findall(README)


def test_the_readme_has_transcripts():
    commands = [command.split()[1] for command, _ in TRANSCRIPTS]
    assert {"eval", "check", "mlp"} <= set(commands)


@pytest.mark.parametrize(("command", "shown"), TRANSCRIPTS, ids=[c for c, _ in TRANSCRIPTS])
def test_a_transcript_is_what_the_command_prints(cli, monkeypatch, command, shown):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*shlex.split(command)[1:])
    assert result.out + result.err == shown
    assert all(line == line.rstrip() for line in shown.splitlines())
