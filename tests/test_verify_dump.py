"""`backprop verify FILE`: the interchange format read and judged, its four output formats, and hostile
dumps refused with one error line at the record's line (exit 2)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import backpropcli

ROOT = Path(__file__).parent.parent
NEURON = str(ROOT / "samples" / "verify_neuron.jsonl")
OVERWRITTEN = str(ROOT / "samples" / "verify_overwritten.jsonl")
RECORD = json.loads(resources.files("backpropcli").joinpath("schema/verify.schema.json").read_text())
REPORT = json.loads(resources.files("backpropcli").joinpath("schema/verify-report.schema.json").read_text())


def dump(tmp_path: Path, *records, name: str = "g.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in records))
    return str(path)


@pytest.mark.parametrize("sample", [NEURON, OVERWRITTEN], ids=["neuron", "overwritten"])
def test_the_samples_are_valid_records(sample):
    for line in Path(sample).read_text().splitlines():
        jsonschema.validate(json.loads(line), RECORD)


def test_a_clean_dump_passes(cli):
    result = cli("verify", NEURON)
    assert result.code == 0, result.out + result.err
    assert result.out.rstrip().endswith("verify: 10 passed, 0 failed")


def test_a_buggy_dump_names_the_bug_and_exits_1(cli):
    result = cli("verify", OVERWRITTEN)
    assert result.code == 1
    assert "overwritten accumulation: `=` where `+=` belongs: b, a" in result.out


def test_json_follows_its_schema_and_names_the_bug(cli):
    result = cli("verify", OVERWRITTEN, "--format", "json")
    data = json.loads(result.out)
    jsonschema.validate(data, REPORT)
    assert result.err.strip() == "verify: 3 passed, 2 failed"
    assert data["bugs"] == [
        {"kind": "overwritten", "title": "overwritten accumulation: `=` where `+=` belongs", "nodes": ["b", "a"]}
    ]
    a = next(n for n in data["nodes"] if n["node"] == "a")
    assert (a["grad"], a["true"], a["line"], a["verdict"]) == (3.0, -3.0, 1, "overwritten")


def test_json_schema_rejects_an_ok_that_contradicts_the_verdict(cli):
    data = json.loads(cli("verify", OVERWRITTEN, "--format", "json").out)
    next(n for n in data["nodes"] if n["node"] == "a")["ok"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, REPORT)


def test_junit_and_github(cli):
    junit = ET.fromstring(cli("verify", OVERWRITTEN, "--format", "junit").out)
    assert (junit.get("tests"), junit.get("failures")) == ("5", "2")
    failed = [c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None]
    assert failed == ["b (leaf)", "a (leaf)"]
    github = cli("verify", OVERWRITTEN, "--format", "github").out.splitlines()
    assert github[0].startswith("::error file=") and ",line=2,title=b%3A overwritten::" in github[0]
    assert len(github) == 3 and github[-1] == "verify: 3 passed, 2 failed"


def test_stdin_and_the_array_form(cli, tmp_path):
    records = [json.loads(line) for line in Path(NEURON).read_text().splitlines()]
    array = "[\n" + ",\n".join(json.dumps(r) for r in reversed(records)) + "\n]\n"
    result = cli("verify", "-", stdin=array)
    assert result.code == 0 and "verify: 10 passed" in result.out


def test_true_gradients_agree_with_central_differences(tmp_path):
    """An independent oracle: d root / d leaf from the forward formula alone, nudged both ways."""
    x, w = 0.7, -1.3

    def f(x, w):
        return math.tanh(x * w + math.exp(x)) ** 2

    h = x * w + math.exp(x)
    t = math.tanh(h)
    path = dump(
        tmp_path,
        {"id": "x", "data": x},
        {"id": "w", "data": w},
        {"id": "xw", "op": "*", "args": ["x", "w"], "data": x * w},
        {"id": "ex", "op": "exp", "args": ["x"], "data": math.exp(x)},
        {"id": "h", "op": "+", "args": ["xw", "ex"], "data": h},
        {"id": "t", "op": "tanh", "args": ["h"], "data": t},
        {"id": "o", "op": "**", "exponent": 2, "args": ["t"], "data": t * t},
    )
    rows = {r.name: r for r in backpropcli.verify_dump(path).rows}
    step = 1e-6
    dx = (f(x + step, w) - f(x - step, w)) / (2 * step)
    dw = (f(x, w + step) - f(x, w - step)) / (2 * step)
    assert rows["x"].true == pytest.approx(dx, rel=1e-7)
    assert rows["w"].true == pytest.approx(dw, rel=1e-7)


def test_ops_are_found_from_values_when_a_record_names_none(tmp_path):
    path = dump(
        tmp_path,
        {"id": 1, "data": 4.0, "grad": -0.0625},
        {"id": 2, "args": [1], "data": 0.25, "grad": 1, "local_grads": [-0.0625]},
    )
    report = backpropcli.verify_dump(path)
    assert report.ok and report.rows[0].op == "pow (inferred)"


def test_a_wrong_tanh_rule_reads_as_the_rule_and_the_engine_number(tmp_path):
    n, o = 0.8813735870195432, 0.7071067811865476
    path = dump(
        tmp_path,
        {"id": "n", "data": n, "grad": 1 - o},
        {"id": "o", "op": "tanh", "args": ["n"], "data": o, "grad": 1, "local_grads": [1 - o]},
    )
    rows = {r.name: r for r in backpropcli.verify_dump(path).rows}
    assert rows["o"].verdict == "wrong local"
    assert "tanh: 1 - out**2 = 0.5, you have 0.292893" in rows["o"].why
    assert rows["n"].verdict == "wrong" and "should be 0.5" in rows["n"].why


@pytest.mark.parametrize(
    ("local", "ok"),
    [(0.0, True), (0.5, True), (1.0, True), (1.5, False)],
    ids=["left", "between", "right", "outside"],
)
def test_relu_at_zero_takes_any_subgradient(tmp_path, local, ok):
    path = dump(
        tmp_path,
        {"id": "x", "data": 0.0, "grad": local},
        {"id": "r", "op": "ReLU", "args": ["x"], "data": 0.0, "grad": 1, "local_grads": [local]},
    )
    assert backpropcli.verify_dump(path).ok is ok


@pytest.mark.parametrize(
    ("locals_", "ok"), [([0.5, 0.5], True), ([1, 0], True), ([1, 1], False)], ids=["split", "one", "both"]
)
def test_a_tie_must_be_one_subgradient(tmp_path, locals_, ok):
    path = dump(
        tmp_path,
        {"id": "a", "data": 2.0, "grad": locals_[0]},
        {"id": "b", "data": 2.0, "grad": locals_[1]},
        {"id": "m", "op": "max", "args": ["a", "b"], "data": 2.0, "grad": 1, "local_grads": locals_},
    )
    assert backpropcli.verify_dump(path).ok is ok


def test_a_plus_a_counts_twice_in_a_dump(tmp_path):
    path = dump(
        tmp_path, {"id": "a", "data": 3, "grad": 1}, {"id": "b", "op": "+", "args": ["a", "a"], "data": 6, "grad": 1}
    )
    rows = {r.name: r for r in backpropcli.verify_dump(path).rows}
    assert rows["a"].verdict == "overwritten" and rows["a"].true == 2


def test_a_wrong_value_is_its_own_verdict(tmp_path):
    path = dump(
        tmp_path,
        {"id": "a", "data": 3, "grad": 2},
        {"id": "b", "op": "*", "args": ["a"], "constant": 2, "data": 7, "grad": 1},
    )
    rows = {r.name: r for r in backpropcli.verify_dump(path).rows}
    assert rows["b"].verdict == "wrong value" and "is 6" in rows["b"].why


HOSTILE = {
    "cycle": (
        ['{"id":1,"op":"+","args":[2,2],"data":2,"grad":1}', '{"id":2,"op":"+","args":[1,1],"data":4}'],
        1,
        "cycle",
    ),
    "cycle below the root": (
        [
            '{"id":1,"op":"*","args":[2,3],"data":2}',
            '{"id":2,"data":1}',
            '{"id":3,"op":"+","args":[4,4],"data":2}',
            '{"id":4,"op":"+","args":[3,3],"data":4}',
            '{"id":9,"op":"+","args":[1,1],"data":4,"root":true}',
        ],
        4,
        "cycle",
    ),
    "dangling": (['{"id":1,"data":2}', '{"id":2,"op":"*","args":[1,9],"data":4}'], 2, "'9' is not the id"),
    "duplicate": (['{"id":1,"data":2}', '{"id":1,"op":"*","args":[1,1],"data":4}'], 2, "duplicate id '1': line 1"),
    "power without exponent": (['{"id":1,"data":2}', '{"id":2,"op":"**","args":[1],"data":4}'], 2, "one too few"),
    "NaN": (['{"id":1,"data":2}', '{"id":2,"op":"exp","args":[1],"data":NaN}'], 2, "NaN"),
    "infinity": (['{"id":1,"data":1e999}'], 1, "`data` must be a finite number, not Infinity"),
    "a string for a number": (['{"id":1,"data":"2"}'], 1, '`data` must be a finite number, not "2"'),
    "a bool for a number": (['{"id":1,"data":true}'], 1, "`data` must be a finite number"),
    "unknown op": (['{"id":1,"data":2}', '{"id":2,"op":"softmax","args":[1],"data":4}'], 2, "no op of the table"),
    "unknown field": (['{"id":1,"data":2,"grads":1}'], 1, "unknown field 'grads'"),
    "not an object": (['{"id":1,"data":2}', "[1, 2]"], 2, "must be a JSON object"),
    "broken JSON": (['{"id":1,"data":2}', '{"id":2,'], 2, "not JSON"),
    "two roots": (['{"id":1,"data":2}', '{"id":2,"data":3}'], 2, "mark the root"),
    "too many local grads": (
        ['{"id":1,"data":2}', '{"id":2,"op":"exp","args":[1],"data":1,"local_grads":[1,2]}'],
        2,
        "1 arguments but 2 local gradients",
    ),
    "an op with no arguments": (['{"id":1,"op":"tanh","data":2}'], 1, "but no arguments"),
    "no op and no matching row": (['{"id":1,"data":2}', '{"id":2,"args":[1],"data":123.456}'], 2, "names no op"),
    "deep nesting": (["[" * 100_000], 1, "nested too deeply"),
    "an empty file": ([""], 1, "no nodes"),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_dumps_give_one_error_line_at_the_record(cli, tmp_path, case):
    lines, line, words = HOSTILE[case]
    path = dump(tmp_path, *[text + "\n" for text in lines])
    result = cli("verify", path)
    assert result.code == 2, result.out + result.err
    head = result.err.splitlines()[0]
    assert head.startswith(f"error: {path}:{line}:") and words in head, result.err
    assert "Traceback" not in result.err and result.out == ""


def test_a_file_over_the_size_limit_is_refused_while_reading(cli, tmp_path, monkeypatch):
    from backpropcli.parse import inputs

    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 1000)
    path = dump(tmp_path, *[{"id": i, "data": 1.0} for i in range(200)])
    result = cli("verify", path)
    assert result.code == 2 and "larger than the limit" in result.err


def test_a_cycle_of_objects_is_an_error_not_a_hang():
    class Node:
        def __init__(self):
            self.data, self.grad, self._children, self._local_grads = 1.0, 1.0, (), ()

    a, b = Node(), Node()
    a._children, a._local_grads = (b,), (1.0,)
    b._children, b._local_grads = (a,), (1.0,)
    with pytest.raises(backpropcli.errors.InputError, match="cycle"):
        backpropcli.verify(a)


@pytest.mark.parametrize(("width", "depth"), [(2, 30), (30, 1)], ids=["deep", "wide"])
def test_the_walk_stops_at_its_node_limit_however_the_nodes_are_laid_out(monkeypatch, width, depth):
    import backpropcli.engines.walk as walk

    class Node:
        def __init__(self, children=()):
            self.data, self.grad, self._children = 1.0, 1.0, tuple(children)
            self._local_grads = (1.0,) * len(children)

    top = Node([Node() for _ in range(width)])  # width leaves under one gate
    for _ in range(depth):
        top = Node([top])
    monkeypatch.setattr(walk, "MAX_NODES", 12)
    with pytest.raises(backpropcli.errors.InputError, match="more than 12"):
        backpropcli.verify(top)
    monkeypatch.setattr(walk, "MAX_NODES", 100)
    assert len(backpropcli.verify(top).rows) == width + 1 + depth


def test_a_caller_given_adapter(tmp_path):
    class Cell:
        def __init__(self, value, parents=(), kind="", slope=0.0):
            self.value, self.parents, self.kind, self.slope = value, parents, kind, slope

    x = Cell(3.0, slope=6.0)
    y = Cell(9.0, (x, x), "mul", 1.0)
    from backpropcli.engines import Adapter

    adapter = Adapter(children="parents", data="value", grad="slope", op="kind")
    assert backpropcli.verify(y, adapter).ok
    x.slope = 3.0
    assert [b.kind for b in backpropcli.verify(y, adapter).bugs] == ["overwritten"]


def test_export_round_trips_through_the_schema(tmp_path):
    from test_verify_microgpt import neuron

    out, _ = neuron()
    out.backward()
    path = tmp_path / "n.jsonl"
    backpropcli.export(out, str(path))
    for line in path.read_text().splitlines():
        jsonschema.validate(json.loads(line), RECORD)
    assert backpropcli.verify_dump(str(path)).ok


def test_output_is_the_same_on_every_run(cli):
    assert cli("verify", OVERWRITTEN).out == cli("verify", OVERWRITTEN).out


def test_the_api_functions_stay_functions_whatever_was_imported_first():
    from test_verify_microgpt import neuron

    import backpropcli.engines.walk

    out, _ = neuron()
    out.backward()
    assert backpropcli.verify is backpropcli.engines.verify and backpropcli.verify(out).ok
    assert callable(backpropcli.verify_dump) and callable(backpropcli.export)


@pytest.mark.parametrize("value", ["0.5", float("nan"), None, [1.0]], ids=["text", "nan", "none", "list"])
def test_an_object_whose_data_is_no_number_is_an_input_error(value):
    from test_verify_microgpt import Value

    x = Value(2.0)
    y = x * x
    y.data = value
    with pytest.raises(backpropcli.errors.InputError, match="not a finite number"):
        backpropcli.verify(y)


def test_report_json_of_objects_follows_the_schema():
    from test_verify_microgpt import neuron

    out, _ = neuron()
    out.backward()
    out.backward()
    data = json.loads(backpropcli.verify(out).json())
    jsonschema.validate(data, REPORT)
    assert data["status"] == "failed" and data["bugs"][0]["kind"] == "stale"
    assert all(n["line"] is None for n in data["nodes"])


def test_a_large_graph_shows_its_wrong_nodes_first(cli, tmp_path):
    records = [{"id": 0, "data": 1.0, "grad": 3.0}]
    records += [{"id": i, "op": "+", "args": [i - 1, 0], "data": float(i + 1), "grad": 1.0} for i in range(1, 100)]
    records[1]["grad"] = 5.0  # 0 is used by every gate: 100 contributions, and node 1 is off
    result = cli("verify", dump(tmp_path, *records), "--rows", "5")
    assert result.code == 1
    lines = result.out.splitlines()
    assert any(line.startswith("1 ") and "wrong" in line for line in lines)
    assert "... and 95 more nodes, all correct" in result.out
    assert cli("verify", dump(tmp_path, *records, name="all.jsonl"), "--rows", "all").out.count("✓ correct") >= 97


def test_an_op_of_the_engine_s_own_is_taken_as_given_and_said_so(tmp_path):
    path = dump(
        tmp_path,
        {"id": "x", "data": 2.0, "grad": 3.0},
        {"id": "s", "op": "hardswish", "args": ["x"], "data": 2.13, "grad": 1.0, "local_grads": [3.0]},
    )
    rows = {r.name: r for r in backpropcli.verify_dump(path).rows}
    assert rows["x"].verdict == "correct"
    assert "hardswish is no op of the table" in rows["s"].why and "not judged" in rows["s"].why


def test_a_label_cannot_forge_a_line_of_the_output(cli, tmp_path):
    path = dump(
        tmp_path,
        {
            "id": 1,
            "label": "x\u2028::error title=forged::\nverify: 9 passed, 0 failed\u001b[2J",
            "data": 2.0,
            "grad": 5.0,
        },
        {"id": 2, "op": "*", "args": [1, 1], "data": 4.0, "grad": 1.0},
    )
    for fmt in ("table", "github"):
        out = cli("verify", path, "--format", fmt).out
        assert "\u2028" not in out and "\u001b" not in out
        assert all(not line.startswith(("::error title=forged", "verify: 9")) for line in out.splitlines())


def _both_readings(monkeypatch, path: str) -> tuple[str, str]:
    """The JSON report of a dump read whole, and read record by record (the reading whole turned off)."""
    from backpropcli.engines import dump as reader

    whole = backpropcli.verify_dump(path).json()
    with monkeypatch.context() as m:
        m.setattr(reader, "columns", lambda *args: None)
        one_by_one = backpropcli.verify_dump(path).json()
    return whole, one_by_one


def test_an_exported_dump_is_read_whole_and_gives_what_the_record_reader_gives(tmp_path, monkeypatch):
    from test_verify_microgpt import step

    from backpropcli.engines.columns import columns
    from backpropcli.engines.dump import DECODER

    loss = step("em")
    loss.backward()
    loss.grad = 2  # a wrong seed: every node below is judged against it
    path = tmp_path / "step.jsonl"
    backpropcli.export(loss, str(path))
    assert columns(path.read_text(), DECODER, 10**6) is not None
    whole, one_by_one = _both_readings(monkeypatch, str(path))
    assert whole == one_by_one and '"status": "failed"' in whole


UNUSUAL = {
    "empty ops and labels": [
        {"id": "a", "op": "", "label": "", "data": 1.0, "grad": 2.0},
        {"id": "b", "op": "*", "args": ["a", "a"], "data": 1.0, "grad": 1.0},
    ],
    "a lone leaf with an empty op": [{"id": "a", "op": "", "data": 1.0, "grad": 1.0}],
    "int ids and labels": [
        {"id": 0, "label": "x", "data": 2.0, "grad": 4.0},
        {"id": 1, "op": "**", "exponent": 2, "args": [0], "data": 4.0, "grad": 1, "root": True},
    ],
    "blank lines, leaf ops, a constant": [
        "\n",
        {"id": "a", "op": "input", "data": 3.0, "grad": -1.5},
        "   \n",
        {"id": "c", "op": "mul", "constant": -0.5, "args": ["a"], "data": -1.5, "grad": 1.0},
    ],
    "int data": [{"id": "a", "data": 3, "grad": 6.0}, {"id": "b", "op": "*", "args": ["a", "a"], "data": 9.0}],
    "out of order": [
        {"id": "b", "op": "*", "args": ["a", "a"], "data": 9.0, "grad": 1.0},
        {"id": "a", "data": 3.0, "grad": 6.0},
    ],
    "stored locals, one off": [
        {"id": "a", "data": 3.0, "grad": 6.0},
        {"id": "b", "op": "*", "args": ["a", "a"], "data": 9.0, "grad": 1.0, "local_grads": [3.0, 3.5]},
    ],
}


@pytest.mark.parametrize("name", sorted(UNUSUAL))
def test_unusual_but_valid_dumps_read_the_same_either_way(tmp_path, monkeypatch, name):
    whole, one_by_one = _both_readings(monkeypatch, dump(tmp_path, *UNUSUAL[name]))
    assert whole == one_by_one


def test_two_records_on_one_line_are_refused_at_that_line_however_the_lines_bracket(cli, tmp_path):
    """Read whole, each line is wrapped in brackets: a line holding two records, and a record whose
    array spans two lines, must not pass for two lines of one record each."""
    lines = [
        '{"id": "a", "data": 1.0, "grad": 1.0}],[{"id": "b", "data": 2.0, "grad": 1.0}\n',
        '{"id": "c", "op": "+", "args": ["a",\n',
        '"b"], "data": 3.0, "grad": 1.0}\n',
    ]
    result = cli("verify", dump(tmp_path, *lines))
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("error: ") and ":1:" in result.err, result.err


def _random_dump(rng) -> list[dict]:
    """A dump in order with one root (each node uses the one before it), of the fields export writes and
    a few it does not: int ids, labels, stored locals (some off), constants, values off here and there."""
    records: list[dict] = [{"id": "n0", "data": rng.uniform(-2, 2), "grad": rng.uniform(-2, 2)}]
    for i in range(1, rng.randrange(2, 12)):
        kind = rng.choice(["tanh", "exp", "neg", "+", "*", "sub", "max", "**"])
        unary = kind in ("tanh", "exp", "neg", "**")
        args = [f"n{i - 1}"] if unary else [f"n{i - 1}", f"n{rng.randrange(i)}"]
        record = {"id": f"n{i}", "op": kind, "args": args, "data": rng.uniform(-2, 2), "grad": rng.choice([1, 0.5])}
        if kind == "**":
            record["exponent"] = rng.choice([2, -1, 0.5])
        if rng.random() < 0.4:
            record["local_grads"] = [rng.choice([1.0, 0.25, 1]) for _ in args]
        if rng.random() < 0.2:
            record["label"] = rng.choice(["a_label", "another_quite_long_label_of_a_node"])
        records.append(record)
    return records


@pytest.mark.parametrize("seed", range(40))
def test_random_dumps_read_whole_give_what_the_record_reader_gives(tmp_path, monkeypatch, seed):
    import random

    from backpropcli.engines.columns import columns
    from backpropcli.engines.dump import DECODER

    path = dump(tmp_path, *_random_dump(random.Random(seed)))
    assert columns(Path(path).read_text(), DECODER, 100) is not None
    whole, one_by_one = _both_readings(monkeypatch, path)
    assert whole == one_by_one
