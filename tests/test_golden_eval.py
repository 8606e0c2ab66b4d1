"""What `backprop eval` prints for every sample, in every format, against reviewed golden files.

Rewrite them on purpose with `pytest --update-goldens` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"
SAMPLES = sorted(p.name for p in (ROOT / "samples").glob("*.bp"))
EXTENSIONS = {"table": "txt", "json": "json", "markdown": "md"}
# The exit status each sample must give: a new sample needs its line here.
STATUS = {
    "cs231n_staged": 0,
    "cs231n_staged_missing": 1,
    "cs231n_staged_slip": 1,
    "cs231n_staged_twice": 1,
    "fanout": 0,
    "lecture27": 0,
    "lecture27_local": 0,
    "lecture27_local_slip": 1,
    "lecture27_slip": 1,
    "max_router": 0,
    "max_tie": 0,
    "max_tie_both": 1,
    "micrograd_fanout": 0,
    "micrograd_fanout_missing": 1,
    "micrograd_fanout_twice": 1,
    "micrograd_neuron": 0,
    "micrograd_neuron_slip": 1,
    "sigmoid_neuron": 0,
    "wrong_backward": 1,
}


def test_every_sample_has_its_status():
    assert sorted(STATUS) == sorted(Path(sample).stem for sample in SAMPLES)


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
@pytest.mark.parametrize("sample", SAMPLES)
def test_sample_output_matches_golden(cli, monkeypatch, matches_golden, sample, fmt):
    monkeypatch.chdir(ROOT)
    result = cli("eval", "-f", f"samples/{sample}", "--format", fmt)
    assert result.code == STATUS[Path(sample).stem], result
    golden = GOLDEN / f"eval_{Path(sample).stem}.{EXTENSIONS[fmt]}"
    matches_golden(golden, result.out)


def test_output_is_identical_across_runs(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    first = cli("eval", "-f", "samples/sigmoid_neuron.bp", "--format", "json")
    second = cli("eval", "-f", "samples/sigmoid_neuron.bp", "--format", "json")
    assert first.out == second.out
