"""`--format json` of eval against its published JSON Schemas (version 2, version 1, the summary), and
the versions against each other: an independent reader rebuilds version 1 from version 2 and must
get every number, text and verdict of the real version 1 document."""

from __future__ import annotations

import json
from fractions import Fraction
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from backpropcli import analyze

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"
SAMPLES = sorted(p.name for p in (ROOT / "samples").glob("*.bp"))


def _schema(name: str) -> dict:
    return json.loads(resources.files("backpropcli").joinpath(f"schema/{name}").read_text())


V1, V2, SUMMARY = _schema("eval.schema.json"), _schema("eval.v2.schema.json"), _schema("eval.summary.schema.json")

# Programs beyond the samples: fractions, a kink, a failing claim, chain and dual checks, a skip.
TANH_CHAIN = "\n".join(["x0 = 0.5", "w = 0.99"] + [f"x{k} = tanh(x{k - 1} * w)" for k in range(1, 301)])
PROGRAMS = {
    "fractions": ("-", "x = 1/3\ny = 2/5\nf = x/y + x*y/7 - y**3\n"),
    "kink": ("-", "z = 0\na = relu(z)\nm = max(a, z)\nL = (m - 1)**2\n"),
    "claims": ("-", "x = 3\ny = 2\nf = x*y\ndfdx = 3\ndfdy = 3\n"),
    "beyond the cap": ("-", TANH_CHAIN),
    "no check": ("--no-check", "x = 1/3\nf = x*x + 0.5*x\n"),
    "undefined": ("-", "x = -2.0; n = 3\nf = x**n\n"),
    "cancellation": ("--strict-floats", "x = 300.0\nf = exp(x) / (1 + exp(x))\n"),
}


def _eval(cli, source: str, *options: str):
    if source in PROGRAMS:
        flag, text = PROGRAMS[source]
        args = ["-"] if flag == "-" else ["-", flag]
        return cli("eval", *args, "--format", "json", *options, stdin=text)
    return cli("eval", "-f", str(ROOT / "samples" / source), "--format", "json", *options)


CASES = SAMPLES + sorted(PROGRAMS)


@pytest.mark.parametrize("case", CASES)
def test_every_version_is_valid_against_its_schema(cli, case):
    jsonschema.validate(json.loads(_eval(cli, case).out), V2)
    jsonschema.validate(json.loads(_eval(cli, case, "--json-version", "1").out), V1)
    jsonschema.validate(json.loads(_eval(cli, case, "--json", "summary").out), SUMMARY)


@pytest.mark.parametrize("case", CASES)
def test_version_1_rebuilt_from_version_2_is_version_1(cli, case):
    v2 = json.loads(_eval(cli, case).out)
    v1 = json.loads(_eval(cli, case, "--json-version", "1").out)
    assert v2["version"] == 2 and v1["version"] == 1
    assert rebuild_v1(v2) == v1


@pytest.mark.parametrize("sample", SAMPLES)
def test_version_1_output_matches_its_golden(cli, monkeypatch, matches_golden, sample):
    monkeypatch.chdir(ROOT)
    result = cli("eval", "-f", f"samples/{sample}", "--format", "json", "--json-version", "1")
    matches_golden(GOLDEN / f"eval_{Path(sample).stem}.v1.json", result.out)


def test_exact_values_round_trip_through_the_text_twins(cli):
    # f = x/y + x*y/7 - y**3 at x = 1/3, y = 2/5, by hand: 5/6 + 2/105 - 8/125
    x, y = Fraction(1, 3), Fraction(2, 5)
    want = {"f": x / y + x * y / 7 - y**3, "x": 1 / y + y / 7, "y": -x / y**2 + x / 7 - 3 * y**2}
    doc = json.loads(_eval(cli, "fractions").out)
    nodes = doc["nodes"]
    exact = {name: _exact(nodes["value"][i], nodes["value_text"].get(str(i))) for i, name in enumerate(nodes["name"])}
    grads = {name: _exact(nodes["grad"][i], nodes["grad_text"].get(str(i))) for i, name in enumerate(nodes["name"])}
    assert exact["f"] == want["f"] and Fraction(doc["value_text"]) == want["f"]
    assert (grads["x"], grads["y"]) == (want["x"], want["y"])
    # the twins are there only where the number is not the value: every fraction, no float, no integer
    report = analyze(PROGRAMS["fractions"][1])
    assert nodes["value_text"] == {str(i): str(v) for i, v in enumerate(report.values) if type(v) is Fraction}
    assert float(nodes["value"][nodes["name"].index("f")]) == float(want["f"])
    summary = json.loads(_eval(cli, "fractions", "--json", "summary").out)
    assert {k: Fraction(t) for k, t in summary["gradients_text"].items()} == {"x": want["x"], "y": want["y"]}


@pytest.mark.parametrize("case", CASES)
def test_the_summary_agrees_with_the_full_document(cli, case):
    full = json.loads(_eval(cli, case).out)
    summary = json.loads(_eval(cli, case, "--json", "summary").out)
    for key in ("path", "output", "value", "value_text", "gradients", "undefined", "floats", "warnings"):
        assert summary[key] == full[key]
    assert summary["checks"] == full["checks"]
    nodes, edges = full["nodes"], full["edges"]
    inputs = [i for i, op in enumerate(nodes["op"]) if op == "input"]
    texts = {nodes["name"][i]: nodes["grad_text"][str(i)] for i in inputs if str(i) in nodes["grad_text"]}
    assert summary["gradients_text"] == texts
    failures = summary["failures"]
    failed_edges = [k for k, s in enumerate(edges.get("check", {}).get("status", [])) if s == "fail"]
    failed_nodes = [i for i, s in enumerate(nodes.get("check", {}).get("status", [])) if s == "fail"]
    assert [f["edge"] for f in failures["edges"]["shown"]] == failed_edges
    assert [f["node"] for f in failures["nodes"]["shown"]] == failed_nodes
    assert [c for c in full["claims"] if c["verdict"] not in ("correct", "numeric")] == failures["claims"]["shown"]
    counted = sum(failures[kind]["count"] for kind in ("edges", "nodes", "claims", "floats"))
    assert counted == full["checks"]["failed"]
    for f in failures["edges"]["shown"]:
        assert (edges["gate"][f["edge"]], edges["position"][f["edge"]]) == (f["gate"], f["position"])
        assert edges["local"][f["edge"]] == f["local"]


def test_a_failure_shows_in_the_summary_with_its_numbers(cli):
    summary = json.loads(_eval(cli, "claims", "--json", "summary").out)
    assert summary["checks"]["failed"] == 1
    # f = x*y at x = 3, y = 2: df/dx is y = 2, written 3; df/dy = 3 is right
    shown = summary["failures"]["claims"]["shown"]
    assert [(c["name"], c["written"], c["true"], c["verdict"]) for c in shown] == [("dfdx", 3, 2, "wrong")]


@pytest.mark.parametrize("options", [(), ("--json-version", "1"), ("--json", "summary")])
def test_the_bytes_are_the_same_on_every_run_and_in_json_lines(cli, options):
    first = _eval(cli, "sigmoid_neuron.bp", *options).out
    assert first == _eval(cli, "sigmoid_neuron.bp", *options).out
    lines = cli("eval", "-f", *(str(ROOT / "samples" / s) for s in SAMPLES[:2]), "--format", "json", *options)
    docs = lines.out.splitlines()
    assert len(docs) == 2 and all(json.loads(d)["path"].endswith(s) for d, s in zip(docs, SAMPLES[:2], strict=True))


def test_json_options_need_json_output(cli):
    for options in (("--json", "summary"), ("--json-version", "1")):
        out = cli("eval", "x*2", "x=1", *options)
        assert out.code == 2 and out.err.startswith("error:") and "--format json" in out.err
    out = cli("eval", "x*2", "x=1", "--format", "json", "--json", "summary", "--json-version", "1")
    assert out.code == 2 and "summary" in out.err


def test_no_check_json_says_checks_are_off(cli):
    data = json.loads(_eval(cli, "no check").out)
    assert data["checks"]["enabled"] is False
    assert "check" not in data["nodes"] and "check" not in data["edges"]


def test_edges_carry_upstream_times_local(cli):
    result = cli("eval", "(w+x*y)*z", "w=5", "x=3", "y=2", "z=4", "--format", "json")
    data = json.loads(result.out)
    nodes, edges = data["nodes"], data["edges"]
    for k in range(edges["count"]):
        assert edges["downstream"][k] == nodes["grad"][edges["gate"][k]] * edges["local"][k]
    # the lecture's x: upstream 4 at v = x*y, local y = 2, downstream 8
    k = edges["input"].index(nodes["name"].index("x"))
    assert (nodes["grad"][edges["gate"][k]], edges["local"][k], edges["downstream"][k]) == (4, 2, 8)


# ---- the independent reader: version 1 from version 2 --------------------------------------------


def _exact(number, text: str | None):
    """A value from its JSON number and its text twin (the twin is exact where there is one)."""
    if text is None:
        return number
    return Fraction(text)


def _text(number, texts: dict, k: int) -> str:
    """The exact text of a value: its twin, or the number as Python writes it (floats: shortest repr);
    version 1's text of a gradient that does not exist (null in both) is `undefined`."""
    if number is None:
        return texts.get(str(k), "undefined")
    return texts.get(str(k), repr(number) if isinstance(number, float) else str(number))


def _check(checks: dict | None, k: int, ours: str):
    """Version 1's check record from version 2's columns; `ours` is the exact text of the number checked."""
    if checks is None or checks["status"][k] is None:
        return None
    status, number = checks["status"][k], checks["sympy"][k]
    if str(k) in checks["sympy_text"]:
        sympy = checks["sympy_text"][str(k)]
    elif number is not None:
        sympy = _text(number, {}, k)
    else:  # null: the very number checked, where there was one to compare
        sympy = ours if status in ("pass", "fail") else ""
    return {"status": status, "sympy": sympy, "how": checks["how"][k], "note": checks["note"].get(str(k), "")}


def rebuild_v1(doc: dict) -> dict:
    nodes, edges = doc["nodes"], doc["edges"]
    v2_only = ("nodes", "edges", "claims", "undefined", "floats", "warnings")  # version 1 stays as it was
    out = {key: value for key, value in doc.items() if key not in v2_only}
    out["version"] = 1
    output = nodes["name"].index(doc["output"])
    out["intermediate_gradients"] = {
        name: nodes["grad"][i]
        for i, name in enumerate(nodes["name"])
        if name is not None and nodes["op"][i] != "input" and i != output
    }
    out["nodes"] = []
    for i in range(nodes["count"]):
        record = {
            "id": i,
            "name": nodes["name"][i],
            "label": nodes["name"][i] if nodes["label"][i] is None else nodes["label"][i],
            "op": nodes["op"][i],
            "args": nodes["args"][i],
            "value": nodes["value"][i],
            "value_text": _text(nodes["value"][i], nodes["value_text"], i),
            "grad": nodes["grad"][i],
            "grad_text": _text(nodes["grad"][i], nodes["grad_text"], i),
            "line": nodes["line"][i],
            "col": nodes["col"][i],
        }
        if "check" in nodes:
            record["check"] = _check(nodes["check"], i, record["grad_text"])
            record["formula"] = nodes["formula"].get(str(i))
        out["nodes"].append(record)
    kinks = set(edges["kinks"])
    out["edges"] = []
    for k in range(edges["count"]):
        gate = edges["gate"][k]
        record = {
            "gate": gate,
            "input": edges["input"][k],
            "position": edges["position"][k],
            "op": nodes["op"][gate],
            "upstream": nodes["grad"][gate],
            "local": edges["local"][k],
            "downstream": edges["downstream"][k],
            "kink": k in kinks,
        }
        if "check" in edges:
            record["check"] = _check(edges["check"], k, _text(edges["local"][k], edges["local_text"], k))
        out["edges"].append(record)
    out["claims"] = doc["claims"]
    return out
