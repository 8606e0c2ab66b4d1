"""What `backprop verify` shows, against reviewed golden files (rewrite with pytest --update-goldens)."""

from __future__ import annotations

import json
import re
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


WIDTHS = (60, 80, 120)
LONG = "hidden_layer_activation_of_unit_seven"
# x*w + b through tanh, with long labels, and w's grad overwritten by one of its two uses
LONG_DUMP = "".join(
    json.dumps(record) + "\n"
    for record in (
        {"id": "x", "label": "input_feature_number_one", "data": 2.0, "grad": -2.0},
        {"id": "w", "label": "weight_from_input_one", "data": -1.0, "grad": 2.0},
        {"id": "xw", "op": "*", "args": ["x", "w"], "data": -2.0, "grad": 2.0},
        {"id": "ww", "op": "*", "args": ["w", "w"], "data": 1.0, "grad": 2.0},
        {"id": "h", "label": LONG, "op": "+", "args": ["xw", "ww"], "data": -1.0, "grad": 2.0},
        {"id": "o", "op": "*", "args": ["h", "h"], "data": 1.0, "grad": 1},
    )
)
SAMPLES = {"overwritten": ("samples/verify_overwritten.jsonl", ""), "long_names": ("-", LONG_DUMP)}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_the_table_at_each_width_matches_golden(cli, monkeypatch, matches_golden, sample, width):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", str(width))
    path, stdin = SAMPLES[sample]
    result = cli("verify", path, stdin=stdin)
    assert result.code == 1, result
    matches_golden(GOLDEN / "width" / f"verify_{sample}.{width}.txt", result.out)


@pytest.mark.parametrize("width", WIDTHS)
def test_long_names_are_shortened_and_given_whole_once(cli, monkeypatch, width):
    monkeypatch.setenv("COLUMNS", str(width))
    out = cli("verify", "-", stdin=LONG_DUMP).out
    notes = [line for line in out.splitlines() if re.match(r"\[\d+\] ", line)]
    if width >= 80:  # at 60 the atoms alone are wider: the table is written whole, never cut
        assert all(len(line) <= width for line in out.splitlines() if line not in notes)
    shortened = set(re.findall(r"\u2026\[(\d+)\]", out))
    assert shortened == {note.split("]")[0][1:] for note in notes}
    assert sorted(note.split(" ", 1)[1] for note in notes) == sorted(
        [LONG, "weight_from_input_one", "input_feature_number_one"]
    )


def test_wide_output_gives_each_node_one_line(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    lines = cli("verify", "-", stdin=LONG_DUMP).out.splitlines()
    names = [line.split()[0] for line in lines[3:9]]
    assert names == [
        "o",
        "hidden_layer_activat\u2026[1]",
        "ww",
        "xw",
        "weight_from_input_one",
        "input_feature_number_one",
    ]
    assert lines[9].startswith("\u2717 never reached") and lines[11] == f"[1] {LONG}"
