"""The interchange format's columnar form (`export(root, "g.json")`, `backprop verify g.json`): the same
graph and verdicts as the records it replaces, and hostile documents refused with one error line that
names the node and the field (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import backpropcli

NEURON = Path(__file__).parent.parent / "samples" / "verify_neuron.jsonl"


def _report(path: Path) -> dict:
    """The JSON report, less what only records have: the file's name and each node's line."""
    report = json.loads(backpropcli.verify_dump(str(path)).json())
    report.pop("source", None)
    for node in report["nodes"]:
        node.pop("line")
    return report


def _both(tmp_path: Path, root) -> tuple[dict, dict]:
    backpropcli.export(root, str(tmp_path / "g.jsonl"))
    backpropcli.export(root, str(tmp_path / "g.json"))
    return _report(tmp_path / "g.jsonl"), _report(tmp_path / "g.json")


def test_a_microgpt_step_reads_the_same_from_either_form(tmp_path):
    from test_verify_microgpt import step

    loss = step("em")
    loss.backward()
    records, document = _both(tmp_path, loss)
    assert records == document and records["status"] == "passed"
    assert json.loads((tmp_path / "g.json").read_text())["columns"]["args"][-1]  # positions, the root last


def test_a_wrong_seed_is_the_same_verdict_in_either_form(tmp_path):
    from test_verify_microgpt import step

    loss = step("em")
    loss.backward()
    loss.grad = 2  # by hand: every grad below is twice what the seed of 1 gives
    records, document = _both(tmp_path, loss)
    assert records == document and records["status"] == "failed"


def test_micrograd_s_lecture_neuron_with_its_power_constant(tmp_path):
    micrograd = pytest.importorskip("micrograd.engine")
    x = micrograd.Value(2.0)
    w = micrograd.Value(-3.0)
    y = (x * w + 6.5) ** 2  # micrograd keeps the exponent inside the op: `**2`
    y.backward()
    records, document = _both(tmp_path, y)
    assert records == document and records["status"] == "passed"


def document(tmp_path: Path, columns: dict, extra: dict | None = None) -> str:
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"columns": columns, **(extra or {})}))
    return str(path)


GOOD = {"op": [None, None, "*"], "args": [[], [], [0, 1]], "data": [2.0, -3.0, -6.0], "grad": [-3.0, 2.0, 1.0]}


def test_a_hand_written_document_passes(cli, tmp_path):
    result = cli("verify", document(tmp_path, GOOD))
    assert result.code == 0, result.err
    assert result.out.rstrip().endswith("verify: 3 passed, 0 failed")


def test_a_wrong_grad_in_a_document_fails(cli, tmp_path):
    wrong = {**GOOD, "grad": [-3.0, 3.0, 1.0]}  # by hand: d(x*w)/dw = x = 2, not 3
    result = cli("verify", document(tmp_path, wrong))
    assert result.code == 1 and "#1" in result.out


def test_a_node_the_root_does_not_use_is_left_out_as_records_leave_it(tmp_path):
    spare = {"args": [[], [], [0, 0]], "data": [2.0, 5.0, 4.0], "grad": [4.0, None, 1.0], "op": [None, None, "*"]}
    report = _report(Path(document(tmp_path, spare)))
    assert report["status"] == "passed" and report["summary"]["nodes"] == 2 and report["root"] == "#2"


HOSTILE = {
    "no data": ({"args": [[]]}, "the column 'data' is required"),
    "no nodes": ({"data": []}, "the graph has no nodes"),
    "unknown column": ({**GOOD, "grads": [1.0, 1.0, 1.0]}, "unknown column 'grads'"),
    "short column": ({**GOOD, "grad": [1.0]}, "the column 'grad' must be an array of 3 entries"),
    "a later argument": ({**GOOD, "args": [[], [2], [0, 1]]}, "node 1: argument 2 is not the position of an earlier"),
    "an id as argument": ({**GOOD, "args": [[], [], ["a", 1]]}, "node 2: argument 'a' is not the position"),
    "text as data": ({**GOOD, "data": [2.0, "x", -6.0]}, "node 1: `data` must be a finite number"),
    "not an object": ([1, 2], "'columns' must be an object of arrays"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_documents_give_one_error_line_naming_the_node(cli, tmp_path, case):
    columns, says = HOSTILE[case]
    result = cli("verify", document(tmp_path, columns))
    assert result.code == 2 and result.out == "", result
    first = result.err.splitlines()[0]
    assert first.startswith("error: ") and says in first, first
    assert "Traceback" not in result.err


def test_a_field_beside_the_columns_is_refused(cli, tmp_path):
    result = cli("verify", document(tmp_path, GOOD, {"nodes": 3}))
    assert result.code == 2 and "unknown field 'nodes' beside 'columns'" in result.err


def test_records_that_are_one_object_are_still_records(cli, tmp_path):
    """A JSON Lines file of one record is one JSON object too: without a `columns` field it is a record."""
    path = tmp_path / "one.jsonl"
    path.write_text(NEURON.read_text().splitlines()[0] + "\n")
    result = cli("verify", str(path))
    assert result.code in (0, 1) and "error" not in result.err


def test_an_exported_document_follows_its_schema(tmp_path):
    from importlib import resources

    import jsonschema
    from test_verify_microgpt import step

    schema = json.loads(resources.files("backpropcli").joinpath("schema/verify-columns.schema.json").read_text())
    loss = step("em")
    loss.backward()
    backpropcli.export(loss, str(tmp_path / "g.json"))
    jsonschema.validate(json.loads((tmp_path / "g.json").read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"columns": {**GOOD, "args": [[], [], [0, -1]]}}, schema)
