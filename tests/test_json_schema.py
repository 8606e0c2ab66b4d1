"""`--format json` of eval against its published JSON Schema, on every sample and with --no-check."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads(resources.files("backpropcli").joinpath("schema/eval.schema.json").read_text())


@pytest.mark.parametrize("sample", sorted(p.name for p in (ROOT / "samples").glob("*.bp")))
def test_sample_json_is_valid(cli, sample):
    result = cli("eval", "-f", str(ROOT / "samples" / sample), "--format", "json")
    jsonschema.validate(json.loads(result.out), SCHEMA)


def test_no_check_json_is_valid_and_says_checks_are_off(cli):
    result = cli("eval", "max(x, y) * z", "x=2", "y=2", "z=3", "--format", "json", "--no-check")
    data = json.loads(result.out)
    jsonschema.validate(data, SCHEMA)
    assert data["checks"]["enabled"] is False


def test_edges_carry_upstream_times_local(cli):
    result = cli("eval", "(w+x*y)*z", "w=5", "x=3", "y=2", "z=4", "--format", "json")
    data = json.loads(result.out)
    for edge in data["edges"]:
        assert edge["downstream"] == edge["upstream"] * edge["local"]
    # the lecture's x: upstream 4 at v = x*y, local y = 2, downstream 8
    by_input = {data["nodes"][e["input"]]["label"]: e for e in data["edges"]}
    assert (by_input["x"]["upstream"], by_input["x"]["local"], by_input["x"]["downstream"]) == (4, 2, 8)
