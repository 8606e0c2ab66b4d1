"""`backprop mlp`: the layer formulas against the node-level engine, a network computed by hand,
gradient descent, the emitted program read back by eval and check, errors, and golden output."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from fractions import Fraction
from importlib import resources
from itertools import pairwise
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backpropcli.network import matrix
from backpropcli.network import study as routes
from backpropcli.network.datafiles import read_weights, weights_json
from backpropcli.network.matrix import LOSSES, descend, run
from backpropcli.network.model import (
    LAYER_ACTIVATIONS,
    Examples,
    Network,
    decimal,
    one_example,
    seeded,
)
from backpropcli.network.study import study
from backpropcli.network.unroll import program
from backpropcli.ops import exact, is_exact
from backpropcli.render.cells import ASCII, UNICODE
from backpropcli.render.mlp.rows import CURVE, curve

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden"
SAMPLE_221 = str(ROOT / "samples" / "mlp_221.json")
AND = str(ROOT / "samples" / "and.csv")
SPEC = (
    "mlp",
    "--layers",
    "2,3,1",
    "--activation",
    "sigmoid",
    "--loss",
    "mse",
    "--input",
    "0.5,-1.2",
    "--target",
    "1",
    "--seed",
    "0",
)
TRAIN = (
    "mlp",
    "--layers",
    "2,2,1",
    "--weights",
    SAMPLE_221,
    "--input",
    "1,0",
    "--target",
    "1",
    "--lr",
    "0.5",
    "--steps",
    "20",
)
LONG = os.environ.get("BACKPROP_LONG_PROPERTIES") == "1"


# ---- a 2-2-1 network by hand -----------------------------------------------------------------------


def test_hand_computed_221_network_matches_exactly():
    """samples/mlp_221.json with relu then identity, mse, x = (1, 2), t = 1. By hand:

    z1 = W1 x + b1 = (0.5*1 - 1*2 + 0.5, 1*1 + 0.5*2 - 1) = (-1, 1)     a1 = relu(z1) = (0, 1)
    z2 = W2 a1 + b2 = 2*0 - 0.5*1 + 0.25 = -1/4                         a2 = z2 = -1/4
    L = (a2 - t)^2 = (-5/4)^2 = 25/16
    delta2 = 2 (a2 - t) * 1 = -5/2
    dW2 = delta2 a1^T = (-5/2*0, -5/2*1) = (0, -5/2)                    db2 = -5/2
    W2^T delta2 = (2*(-5/2), -0.5*(-5/2)) = (-5, 5/4)
    delta1 = (-5, 5/4) * relu'(z1) = (-5*0, 5/4*1) = (0, 5/4)
    dW1 = delta1 x^T = ((0, 0), (5/4*1, 5/4*2)) = ((0, 0), (5/4, 5/2))  db1 = (0, 5/4)
    """
    network = read_weights(SAMPLE_221, (2, 2, 1), ("relu", "identity"))
    examples = Examples(((1, 2),), ((1,),))
    result = study(network, examples, LOSSES["mse"], 1e-9)
    first, second = result.matrix.layers
    assert result.matrix.loss == Fraction(25, 16)
    assert first.z == ((-1,), (1,)) and first.a == ((0,), (1,))
    assert first.delta == ((0,), (Fraction(5, 4),))
    assert first.dW == ((0, 0), (Fraction(5, 4), Fraction(5, 2))) and first.db == (0, Fraction(5, 4))
    assert second.z == ((Fraction(-1, 4),),) and second.delta == ((Fraction(-5, 2),),)
    assert second.dW == ((0, Fraction(-5, 2)),) and second.db == (Fraction(-5, 2),)
    assert result.node == result.matrix  # the node route's numbers are the same exact values
    assert result.counts() == (19, 0)


def test_hand_computed_network_in_json_keeps_exact_text(cli):
    out = cli(
        "mlp",
        "--layers",
        "2,2,1",
        "--weights",
        SAMPLE_221,
        "--activation",
        "relu,identity",
        "--input",
        "1,2",
        "--target",
        "1",
        "--format",
        "json",
    )
    assert out.code == 0, out
    data = json.loads(out.out)
    assert data["loss_text"] == "25/16"
    assert data["layers"][0]["dW_text"] == [["0", "0"], ["5/4", "5/2"]]
    assert data["layers"][1]["delta_text"] == [["-5/2"]]


# ---- the two routes agree on random networks -------------------------------------------------------

SMALL = st.fractions(min_value=-2, max_value=2, max_denominator=8).map(exact)
UNIT = st.fractions(min_value=0, max_value=1, max_denominator=4).map(exact)


@st.composite
def networks(draw):
    sizes = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=4)))
    loss = draw(st.sampled_from(sorted(LOSSES)))
    activations = [draw(st.sampled_from(LAYER_ACTIVATIONS)) for _ in sizes[1:]]
    if LOSSES[loss].needs:  # bce: outputs strictly between 0 and 1
        activations[-1] = "sigmoid"
    weights = tuple(tuple(tuple(draw(SMALL) for _ in range(m)) for _ in range(n)) for m, n in pairwise(sizes))
    biases = tuple(tuple(draw(SMALL) for _ in range(n)) for n in sizes[1:])
    count = draw(st.integers(1, 3))
    inputs = tuple(tuple(draw(SMALL) for _ in range(sizes[0])) for _ in range(count))
    targets = tuple(tuple(draw(UNIT if LOSSES[loss].needs else SMALL) for _ in range(sizes[-1])) for _ in range(count))
    return Network(sizes, tuple(activations), weights, biases), Examples(inputs, targets), LOSSES[loss]


@settings(max_examples=400 if LONG else 60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_matrix_route_equals_node_route(case):
    network, examples, loss = case
    result = study(network, examples, loss, 1e-9)
    wrong = [a for a in result.agreements if not a.ok]
    assert not wrong, wrong[:3]
    if loss.name == "mse" and set(network.activations) <= {"relu", "identity"}:
        values = [a.matrix for a in result.agreements] + [a.node for a in result.agreements]
        assert all(is_exact(v) for v in values)  # exact in, exact out, by both routes


def test_a_wrong_layer_formula_is_caught(cli, monkeypatch):
    monkeypatch.setitem(matrix.SLOPE, "sigmoid", lambda z, a: a)  # forgets the (1 - a)
    out = cli(*SPEC)
    assert out.code == 1
    assert "✗ dLdz2_0: node route -0.253804" in out.out
    assert out.out.rstrip().endswith("checks: 9 passed, 17 failed")


def test_a_tiny_wrong_gradient_deep_in_a_network_is_caught(monkeypatch):
    """17 layers of sigmoid: the first layer's dL/dW are about 1e-12, below any fixed absolute floor.
    Doubling them in the matrix route must still fail every one of them."""
    sizes = (2,) + (2,) * 16 + (1,)
    net = seeded(sizes, ("sigmoid",) * 17, 0)
    ex = one_example("0.5,-1.2", "1", sizes)
    honest = routes.study(net, ex, LOSSES["mse"], 1e-9)
    assert honest.ok and 0 < max(abs(v) for row in honest.matrix.layers[0].dW for v in row) < 1e-11
    original = routes.run

    def doubled(*args):
        done = original(*args)
        first = done.layers[0]
        wrong = dataclasses.replace(first, dW=tuple(tuple(2 * v for v in row) for row in first.dW))
        return dataclasses.replace(done, layers=(wrong, *done.layers[1:]))

    monkeypatch.setattr(routes, "run", doubled)
    caught = routes.study(net, ex, LOSSES["mse"], 1e-9)
    failed = [a.name for a in caught.agreements if not a.ok]
    assert failed == ["dLdw1_0_0", "dLdw1_0_1", "dLdw1_1_0", "dLdw1_1_1"]


# ---- gradient descent ------------------------------------------------------------------------------


def test_gradient_descent_separates_and(cli):
    out = cli(
        "mlp", "--layers", "2,2,1", "--data", AND, "--loss", "bce", "--lr", "1", "--steps", "300", "--format", "json"
    )
    assert out.code == 0, out
    losses = json.loads(out.out)["training"]["losses"]
    assert all(later <= earlier for earlier, later in pairwise(losses))
    assert losses[-1] < losses[0] / 10


def test_trained_network_classifies_the_toy_set():
    network = seeded((2, 2, 1), ("sigmoid", "sigmoid"), 0)
    data = Examples(((0, 0), (0, 1), (1, 0), (1, 1)), ((0,), (0,), (0,), (1,)))
    trained = descend(network, data, LOSSES["bce"], 1.0, 300).network
    outputs = run(trained, data, LOSSES["bce"]).layers[-1].a[0]
    assert [round(a) for a in outputs] == [0, 0, 0, 1]


def test_weights_out_reads_back_as_the_trained_weights(cli, tmp_path):
    saved = tmp_path / "trained.json"
    out = cli(*TRAIN, "--weights-out", str(saved), "--format", "json")
    assert out.code == 0, out
    trained = json.loads(out.out)["training"]["layers"]
    again = read_weights(str(saved), (2, 2, 1), ("sigmoid", "sigmoid"))
    assert [[list(map(float, row)) for row in w] for w in again.weights] == [layer["W"] for layer in trained]


def test_exact_weights_write_and_read_back_exactly(tmp_path):
    network = Network((1, 2), ("identity",), (((Fraction(1, 3),), (Fraction(37, 100),)),), ((-2, Fraction(1, 8)),))
    path = tmp_path / "w.json"
    path.write_text(weights_json(network))
    assert '"1/3"' in path.read_text() and "0.37" in path.read_text()
    assert read_weights(str(path), (1, 2), ("identity",)) == network


def test_decimals_are_exact():
    assert decimal(Fraction(37, 100)) == "0.37" and decimal(Fraction(-1, 8)) == "-0.125"
    assert decimal(Fraction(1, 3)) is None


def test_loss_curve_in_blocks_and_in_ascii():
    assert curve((4.0, 2.0, 1.0, 0.0), UNICODE) == "█▅▃▁"
    assert curve((4.0, 2.0, 1.0, 0.0), ASCII) == "#=:_"
    assert len(curve(tuple(float(v) for v in range(1000, 0, -1)), UNICODE)) == CURVE


# ---- the emitted program ---------------------------------------------------------------------------


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", LAYER_ACTIVATIONS)
def test_emitted_program_passes_eval_and_check(cli, tmp_path, activation, loss):
    last = "sigmoid" if LOSSES[loss].needs else activation
    emitted = tmp_path / "net.bp"
    out = cli(
        "mlp",
        "--layers",
        "2,2,1",
        "--activation",
        f"{activation},{last}",
        "--loss",
        loss,
        "--input",
        "0.5,-1.2",
        "--target",
        "1",
        "--seed",
        "1",
        "--emit",
        str(emitted),
    )
    assert out.code == 0, out
    assert cli("eval", "-f", str(emitted)).code == 0
    checked = cli("check", str(emitted))
    assert checked.code == 0, checked.out
    assert checked.out.rstrip().endswith("15 passed, 0 failed")


def test_emitted_program_with_several_examples_and_a_relu_kink(cli, tmp_path):
    emitted = tmp_path / "and.bp"
    out = cli(
        "mlp",
        "--layers",
        "2,2,1",
        "--activation",
        "relu,sigmoid",
        "--loss",
        "bce",
        "--data",
        AND,
        "--seed",
        "3",
        "--emit",
        str(emitted),
    )
    assert out.code == 0, out
    text = emitted.read_text()
    assert "z1_0_e0 = w1_0_0*x0_e0 + w1_0_1*x1_e0 + b1_0" in text  # shared weights, per-example names
    assert "dLdz1_0_e0 = dLda1_0_e0*0" in text  # relu at z = 0: the minimum-norm subgradient
    assert cli("eval", "-f", str(emitted)).code == 0
    checked = cli("check", str(emitted))
    assert checked.code == 0, checked.out


def test_emit_to_stdout_is_the_program_alone(cli):
    out = cli(*SPEC, "--emit", "-")
    assert out.code == 0
    assert out.out.startswith("# A 2-3-1 network unrolled to scalars by\n#   backprop mlp --layers 2,3,1 ")
    assert "checks:" not in out.out
    assert cli("eval", "-", stdin=out.out).code == 0


def test_program_names_every_unit():
    network = seeded((2, 3, 1), ("tanh", "identity"), 0)
    text = program(network, Examples(((1, 2),), ((0,),)), LOSSES["mse"])
    for line in ("z1_2 = w1_2_0*x0 + w1_2_1*x1 + b1_2", "a1_2 = tanh(z1_2)", "a2_0 = z2_0", "L = (a2_0 - t0)**2"):
        assert line in text.splitlines()


# ---- bad input: exit 2 and one clear line ----------------------------------------------------------


def _weights(tmp_path, text: str) -> str:
    path = tmp_path / "weights.json"
    path.write_text(text)
    return str(path)


def _csv(tmp_path, text: str) -> str:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return str(path)


BAD = [
    pytest.param(
        ("--layers", "2,,1", "--input", "1,2", "--target", "1"),
        "--layers takes the unit counts of every layer",
        id="malformed-layers",
    ),
    pytest.param(
        ("--layers", "2", "--input", "1,2", "--target", "1"),
        "--layers takes the unit counts of every layer",
        id="one-layer",
    ),
    pytest.param(
        ("--layers", "2,300,1", "--input", "1,2", "--target", "1"),
        "every layer needs between 1 and 256 units",
        id="too-many-units",
    ),
    pytest.param(
        ("--layers", ",".join(["1"] * 18), "--input", "1", "--target", "1"),
        "17 weight layers; the limit is 16",
        id="too-many-layers",
    ),
    pytest.param(
        ("--layers", "2,3,1", "--input", "1,2,3", "--target", "1"),
        "--input has 3 values; --layers 2,3,1 needs 2 (one per input unit)",
        id="input-length",
    ),
    pytest.param(
        ("--layers", "2,3,1", "--input", "1,2", "--target", "1,0"),
        "--target has 2 values; --layers 2,3,1 needs 1 (one per output unit)",
        id="target-length",
    ),
    pytest.param(
        ("--layers", "2,3,1", "--input", "1,nan", "--target", "1"),
        "--input value 2 'nan': values must be finite numbers",
        id="input-nan",
    ),
    pytest.param(
        ("--layers", "2,3,1", "--input", "1,2"), "give the examples: --input and --target for one", id="no-target"
    ),
    pytest.param(
        ("--layers", "2,3,1", "--activation", "softmax", "--input", "1,2", "--target", "1"),
        "--activation 'softmax' is not one of sigmoid, tanh, relu, identity",
        id="activation",
    ),
    pytest.param(
        ("--layers", "2,3,1", "--activation", "relu,relu,relu", "--input", "1,2", "--target", "1"),
        "--activation lists 3 activations; the network has 2 weight layers",
        id="activation-count",
    ),
    pytest.param(
        (
            "--layers",
            "2,1",
            "--activation",
            "identity",
            "--loss",
            "bce",
            "--input",
            "5,5",
            "--target",
            "1",
            "--seed",
            "2",
        ),
        "bce needs outputs strictly between 0 and 1 and targets in [0, 1]; output 0 of example 0 is",
        id="bce-output-out-of-range",
    ),
    pytest.param(
        ("--layers", "2,1", "--loss", "bce", "--input", "1,2", "--target", "2"),
        "target 0 of example 0 is 2",
        id="bce-target",
    ),
    pytest.param(
        ("--layers", "2,1", "--input", "1,2", "--target", "1", "--steps", "100001"),
        "--steps takes 0 to 100000",
        id="steps",
    ),
    pytest.param(
        ("--layers", "2,256,256,1", "--input", "1,2", "--target", "1", "--steps", "200"),
        "the limit is 10,000,000",
        id="work",
    ),
    pytest.param(
        ("--layers", "2,1", "--input", "1,2", "--target", "1", "--lr", "-1"), "--lr takes a positive number", id="lr"
    ),
    pytest.param(
        ("--layers", "2,1", "--input", "1,2", "--target", "1", "--seed", "1", "--weights", "w.json"),
        "give --seed or --weights, not both",
        id="seed-and-weights",
    ),
    pytest.param(
        ("--layers", "1,1", "--activation", "identity", "--input", "1" + "0" * 400, "--target", "1", "--steps", "2"),
        "gradient descent runs in floats, and a weight, input or target is beyond",
        id="descent-beyond-floats",
    ),
    pytest.param(
        ("--layers", "2,1", "--input", "1,2", "--target", "1", "--seed", "-5"),
        "--seed takes a whole number from 0 up, not -5",
        id="negative-seed",
    ),
    pytest.param(
        ("--layers", "2,1", "--data", "-", "--weights", "-"),
        "--weights and --data cannot both read stdin",
        id="two-stdins",
    ),
    pytest.param(
        ("--layers", "2,1", "--input", "1,2", "--target", "1", "--emit", "-", "--weights-out", "-"),
        "--emit and --weights-out cannot both write to stdout",
        id="two-stdouts",
    ),
    pytest.param(
        ("--layers", "2,1", "--input", "1,2", "--target", "1", "--lr", "0.5"),
        "--lr is the step size of gradient descent: give --steps N too",
        id="lr-without-steps",
    ),
    pytest.param(("--layers", "2,1", "--data", "/"), "'/' is a directory, not a CSV file", id="data-directory"),
    pytest.param(
        ("--layers", "2,1", "--weights", "/", "--input", "1,2", "--target", "1"),
        "'/' is a directory, not a weights file",
        id="weights-directory",
    ),
]


@pytest.mark.parametrize(("args", "says"), BAD)
def test_bad_input_exits_2_with_one_line(cli, args, says):
    out = cli("mlp", *args)
    assert out.code == 2, out
    assert out.err.startswith("error: ") and says in out.err, out.err
    assert "Traceback" not in out.err


def test_weights_out_to_stdout_replaces_the_report(cli, tmp_path):
    out = cli("mlp", "--layers", "2,1", "--input", "1,2", "--target", "1", "--weights-out", "-")
    assert out.code == 0, out
    doc = json.loads(out.out)  # the weights file alone: one JSON document
    assert len(doc["layers"]) == 1 and len(doc["layers"][0]["W"][0]) == 2


def test_csv_comments_after_a_row_or_alone_are_skipped(cli, tmp_path):
    path = tmp_path / "commented.csv"
    path.write_text("x1,x2,t\n1,2,1  # the first example\n# a note\n0,1,0\n")
    out = cli("mlp", "--layers", "2,1", "--data", str(path), "--format", "json")
    assert out.code == 0, out
    assert json.loads(out.out)["x"] == [[1, 2], [0, 1]]


def test_a_one_row_file_with_other_separators_says_it_was_read_as_a_header(cli, tmp_path):
    path = tmp_path / "tabs.csv"
    path.write_text("1\t2\t1\n")
    out = cli("mlp", "--layers", "2,1", "--data", str(path))
    assert out.code == 2
    assert "its one row was read as a header: cells are separated by commas" in out.err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '{"layers": [{"W": [[1, 2], [3, 4], [5, 6]], "b": [0, 0, 0]}, {"W": [[1, 2, 3], [1, 1, 1]], "b": [0]}]}',
            "weights.json: layer 2's W has 2 rows; --layers 2,3,1 needs 1 (one per output unit)",
        ),
        (
            '{"layers": [{"W": [[1, 2], [3], [5, 6]], "b": [0, 0, 0]}, {"W": [[1, 2, 3]], "b": [0]}]}',
            "layer 1's W row 1 has 1 entry; --layers 2,3,1 needs 2 (one per input unit)",
        ),
        (
            '{"layers": [{"W": [[1, 2], [3, 4], [5, 6]], "b": [0, 0]}, {"W": [[1, 2, 3]], "b": [0]}]}',
            "layer 1's b has 2 entries; --layers 2,3,1 needs 3 (one per output unit)",
        ),
        ('{"layers": [{"W": [[1, 2], [3, 4], [5, 6]], "b": [0, 0, 0]}]}', "has 1 layers; --layers 2,3,1 needs 2"),
        (
            '{"layers": [{"W": [[1, "x"], [3, 4], [5, 6]], "b": [0, 0, 0]}, {"W": [[1, 2, 3]], "b": [0]}]}',
            "layer 1's W[0][1] = 'x' is not a number",
        ),
        (
            '{"layers": [{"W": [[1, true], [3, 4], [5, 6]], "b": [0, 0, 0]}, {"W": [[1, 2, 3]], "b": [0]}]}',
            "layer 1's W[0][1] = true is not a number",
        ),
        (
            '{"layers": [{"W": [[1, NaN], [3, 4], [5, 6]], "b": [0, 0, 0]}, {"W": [[1, 2, 3]], "b": [0]}]}',
            "NaN is not a number a network can use",
        ),
        (
            '{"layers": [{"w": [[1, 2], [3, 4], [5, 6]], "b": [0, 0, 0]}, {"W": [[1, 2, 3]], "b": [0]}]}',
            "layer 1 must be an object with the keys W and b",
        ),
        ('{"layers": [\n  {"W": [[1, 2]]\n', "weights.json:3:1: not JSON: Expecting ',' delimiter"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_bad_weights_file(cli, tmp_path, text, says):
    out = cli("mlp", "--layers", "2,3,1", "--weights", _weights(tmp_path, text), "--input", "1,2", "--target", "1")
    assert out.code == 2, out
    assert says in out.err, out.err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("x1,x2,t\n1,2,1\n1,x,0\n", "data.csv:3:3: column 2 'x' is not a number"),
        ("1,2,1\n1,2\n", "data.csv:2:1: the row has 2 values; --layers 2,3,1 needs 3: 2 inputs, then 1 target"),
        ("1,2,1\n1, ,0\n", "data.csv:2:3: column 2 has no value"),
        ("# only a comment\n\n", "data.csv: no examples"),
    ],
)
def test_bad_data_file(cli, tmp_path, text, says):
    out = cli("mlp", "--layers", "2,3,1", "--data", _csv(tmp_path, text))
    assert out.code == 2, out
    assert says in out.err, out.err


def test_data_and_input_are_exclusive(cli):
    out = cli("mlp", "--layers", "2,1", "--data", AND, "--input", "1,2", "--target", "1")
    assert out.code == 2 and "not both" in out.err


def test_node_route_size_is_capped(cli, tmp_path):
    rows = "\n".join("1,2,1" for _ in range(2000))
    out = cli("mlp", "--layers", "2,64,1", "--data", _csv(tmp_path, rows))
    assert out.code == 2
    assert "the node route's limit is 200,000" in out.err


# ---- what a user sees ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), [("spec", SPEC), ("train", TRAIN)])
@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_output_matches_golden(cli, matches_golden, name, args, fmt):
    out = cli(*args, "--format", fmt)
    assert out.code == 0, out
    matches_golden(GOLDEN / f"mlp_{name}.{ {'table': 'txt', 'json': 'json', 'markdown': 'md'}[fmt] }", out.out)


@pytest.mark.parametrize("args", [SPEC, TRAIN, ("mlp", "--layers", "2,2,1", "--data", AND, "--loss", "bce")])
def test_markdown_tables_are_well_formed_and_the_verdict_is_last(cli, args):
    """Every pipe table has one cell per column on every row; the closing line is the checks count."""
    out = cli(*args, "--format", "markdown")
    assert out.code == 0, out
    for block in out.out.split("\n\n"):
        lines = block.splitlines()
        if not lines[0].startswith("|"):
            continue
        widths = {line.replace("\\|", "").count("|") for line in lines}
        assert len(widths) == 1 and set(lines[1]) <= set("|-:"), block
    assert re.fullmatch(r"checks: \d+ passed, 0 failed", out.out.splitlines()[-1])


def test_several_examples_table_matches_golden(cli, matches_golden):
    out = cli("mlp", "--layers", "2,2,1", "--data", AND, "--loss", "bce", "--steps", "100", "--lr", "1")
    assert out.code == 0, out
    matches_golden(GOLDEN / "mlp_and.txt", out.out)


def test_output_is_identical_across_runs(cli, tmp_path):
    runs = []
    for k in range(2):
        emitted = tmp_path / f"run{k}.bp"
        runs.append(
            (
                cli(*TRAIN).out,
                cli(*SPEC, "--format", "json").out,
                cli(*SPEC, "--emit", str(emitted)).code,
                emitted.read_text(),
            )
        )
    assert runs[0] == runs[1]


@pytest.mark.parametrize("args", [SPEC, TRAIN, ("mlp", "--layers", "2,2,1", "--data", AND, "--steps", "5")])
def test_json_is_valid_against_its_schema(cli, args):
    schema = json.loads(resources.files("backpropcli").joinpath("schema/mlp.schema.json").read_text())
    data = json.loads(cli(*args, "--format", "json").out)
    jsonschema.validate(data, schema)
    assert len(data["layers"]) == len(data["sizes"]) - 1
    for layer in data["layers"]:
        assert [len(row) for row in layer["dW"]] == [len(row) for row in layer["W"]]


def test_help_states_the_limits_in_force(cli):
    from backpropcli.network.matrix import MAX_STEPS, MAX_WORK
    from backpropcli.network.model import MAX_EXAMPLES, MAX_LAYERS, MAX_UNITS
    from backpropcli.network.unroll import MAX_WEIGHT_USES

    text = " ".join(cli("mlp", "--help").out.split())
    for figure in (
        f"{MAX_LAYERS} weight layers",
        f"{MAX_UNITS} units per layer",
        f"{MAX_EXAMPLES:,} examples",
        f"{MAX_STEPS:,} steps",
        f"{MAX_WORK:,} weight updates",
        f"{MAX_WEIGHT_USES:,} weight uses",
    ):
        assert figure in text


def test_readme_shows_what_the_command_prints(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    command = (
        "backprop mlp --layers 2,2,1 --weights samples/mlp_221.json --activation relu,identity --input 1,2 --target 1"
    )
    out = cli(*command.split()[1:])
    shown = "\n".join(line.rstrip() for line in out.out.splitlines())
    assert f"$ {command}\n{shown}\n```" in (ROOT / "README.md").read_text(encoding="utf-8")


NUMBERISH = st.text(alphabet="0123456789,.-+/eE x", max_size=12)


@settings(max_examples=200 if LONG else 40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    layers=st.one_of(st.sampled_from(["2,1", "1,2,1", "1,1"]), NUMBERISH),
    inputs=NUMBERISH,
    targets=NUMBERISH,
    activation=st.sampled_from(["sigmoid", "relu,x", ""]),
    loss=st.sampled_from(sorted(LOSSES)),
)
def test_any_options_get_a_defined_outcome(cli, layers, inputs, targets, activation, loss):
    out = cli(
        "mlp", "--layers", layers, "--input", inputs, "--target", targets, "--activation", activation, "--loss", loss
    )
    assert out.code in (0, 1, 2), out
    assert "internal error" not in out.err and "Traceback" not in out.err
    if out.code == 2:
        assert out.err.startswith("error: ") and out.err.count("\n") == 1


def test_exact_values_beyond_the_float_range_are_compared_and_shown(cli, tmp_path):
    """x = 1e200 exactly: L = (1e200 - 1)**2 is beyond the float range but exact in both routes,
    and a weight of 1e-148 makes a gradient of about 2e452, shown to six digits."""
    out = cli("mlp", "--layers", "1,1", "--activation", "identity", "--input", "1e200", "--target", "1")
    assert out.code == 0, out
    weights = tmp_path / "huge.json"
    weights.write_text('{"layers": [{"W": [[1]], "b": [0]}, {"W": [[1e-148]], "b": [0]}]}')
    out = cli(
        "mlp",
        "--layers",
        "1,1,1",
        "--activation",
        "identity",
        "--weights",
        str(weights),
        "--input",
        "1e300",
        "--target",
        "1/3",
    )
    assert out.code == 0, out
    assert "2e+452" in out.out
    out = cli(
        "mlp",
        "--layers",
        "1,1,1",
        "--activation",
        "identity",
        "--weights",
        str(weights),
        "--input",
        "1e300",
        "--target",
        "1/3",
        "--format",
        "json",
    )
    assert out.code == 0, out
    dw = json.loads(out.out)["layers"][1]["dW"][0][0]  # 2*(1e152 - 1/3)*1e300, beyond the float range
    assert dw == round(2 * (Fraction(10**152) - Fraction(1, 3)) * 10**300)
