"""What `backprop verify` shows, against reviewed golden files (rewrite with pytest --update-goldens)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"

RUNS = {
    "verify_neuron.txt": ("samples/verify_neuron.jsonl",),
    "verify_overwritten.txt": ("samples/verify_overwritten.jsonl",),
    "verify_overwritten.json": ("samples/verify_overwritten.jsonl", "--format", "json"),
    "verify_overwritten_github.txt": ("samples/verify_overwritten.jsonl", "--format", "github"),
    "verify_overwritten_junit.xml": ("samples/verify_overwritten.jsonl", "--format", "junit"),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_verify_output_matches_golden(cli, monkeypatch, matches_golden, name):
    monkeypatch.chdir(ROOT)
    result = cli("verify", *RUNS[name])
    assert result.code == (0 if "neuron" in name else 1), result
    matches_golden(GOLDEN / name, result.out)
