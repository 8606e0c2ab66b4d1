"""sympy's local partials as the cross-check holds them: one column per argument position, our own
objects where sympy's number is ours bit for bit, kinds taken in chunks; and what a user sees of it
(a constant slope is sympy's integer)."""

from __future__ import annotations

import dataclasses
import json
import math
from fractions import Fraction

import pytest

from backpropcli.autodiff import backward, forward
from backpropcli.crosscheck import crosscheck, local
from backpropcli.crosscheck.state import Found
from backpropcli.parse import parse
from backpropcli.pipeline import analyze


def _run(text: str, **point):
    graph = parse(text)
    values = forward(graph, point)
    back = backward(graph, values)
    return graph, values, back


def test_a_partial_that_is_ours_bit_for_bit_is_held_as_our_own_object():
    found = Found(3)
    ours = 0.1 + 0.2  # a float made here, not interned
    theirs = float(repr(ours))  # the same bits, another object
    assert theirs is not ours
    found.put(0, 0, theirs, ours)
    assert found.first[0] is ours
    # not ours: another value, another kind (1.0 is not 1), or a zero of the other sign
    found.put(1, 0, 2.5, 2.4)
    found.put(1, 1, 1.0, 1)
    found.put(2, 0, -0.0, 0.0)
    assert found.first[1] == 2.5 and type(found.second[1]) is float
    assert math.copysign(1, found.first[2]) == -1.0


def test_a_gate_whose_partials_are_all_ours_keeps_our_tuple_when_sealed():
    # gate 0: a leaf; gate 1: both partials ours; gate 2: one of sympy's differs; gate 3: one was not
    # found (an edge into a constant); gate 4: three arguments, the third held by (gate, position)
    a, b, c = 1.5, Fraction(1, 3), 7
    ours = [None, (a, b), (a, b), (a, b), (a, b, c)]
    found = Found(len(ours))
    found.put_all(0, [1, 2, 3, 4], [a, a, a, a], [a, a, a, a], [True] * 4)
    found.put_all(1, [1, 2, 4], [b, Fraction(2, 3), b], [b, b, b], [True, True, True])
    found.put(4, 2, c, c)
    sealed = found.sealed(ours)
    assert sealed[0] is None
    assert sealed[1] is ours[1] and sealed[4] is ours[4]
    assert sealed[2] == (a, Fraction(2, 3)) and sealed[3] == (a, None)
    assert found.first == [] and found.second == [] and found.more == {}


def test_put_all_keeps_only_the_gates_it_is_told():
    found = Found(4)
    found.put_all(1, [0, 2, 3], [5.0, 6.0, 7.0], [5.0, 6.5, 7.0], [True, False, True])
    assert found.second == [5.0, None, None, 7.0]
    found.put_all(3, [1, 2], [8, 9], [8, 9], [False, True])
    assert found.more == {(2, 3): 9}


def test_a_constant_slope_is_sympys_integer_in_a_float_program():
    # d/da (a + b) = 1 and d/db (a - b) = -1 whatever a and b are: sympy's number is the integer, as
    # the backward pass's is, so the JSON has nothing to add beside them (null: that very number)
    report = analyze("f = (x + y) - z", {"x": 0.5, "y": 1.25, "z": 2.0})
    doc = json.loads(report.to_json())
    edges = doc["edges"]
    assert edges["local"] == [1, -1, 1, 1]
    assert edges["check"]["status"] == ["pass"] * 4
    assert edges["check"]["sympy"] == [None] * 4


def test_a_wrong_constant_slope_still_fails_with_sympys_integer():
    graph, values, back = _run("f = (x + y) * 2.0", x=0.5, y=1.25)
    add = graph.nodes[graph.output].args[0]
    partials = list(back.partials)
    partials[add] = (1, 2)  # add that does not distribute
    checks = crosscheck(graph, values, dataclasses.replace(back, partials=tuple(partials)))
    assert checks.edges[(add, 0)].status == "pass"
    assert checks.edges[(add, 1)].status == "fail" and checks.edges[(add, 1)].expected == "1"


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 16])
def test_kinds_taken_in_chunks_give_the_same_verdicts(monkeypatch, chunk):
    # f = sum of tanh(x_k * w_k) over 7 terms, with two of our local partials made wrong, in the
    # first and in a later chunk of their kind: every chunk size finds exactly those two, with sympy's
    # number (1 - tanh(u)**2, computed here) as the expected value
    monkeypatch.setattr(local, "CHUNK", chunk)
    names = [f"x{k}" for k in range(7)]
    text = "f = " + " + ".join(f"tanh({n} * {k + 1}.5)" for k, n in enumerate(names))
    point = {n: 0.1 * (k + 1) for k, n in enumerate(names)}
    graph, values, back = _run(text, **point)
    tanhs = [i for i, node in enumerate(graph.nodes) if node.op == "tanh"]
    partials = list(back.partials)
    for gate in (tanhs[0], tanhs[5]):
        partials[gate] = (partials[gate][0] * 1.01,)
    checks = crosscheck(graph, values, dataclasses.replace(back, partials=tuple(partials)))
    failed = sorted(key for key, check in checks.edges.records.items() if check.status == "fail")
    assert failed == [(tanhs[0], 0), (tanhs[5], 0)]
    for gate, k in ((tanhs[0], 0), (tanhs[5], 5)):
        u = point[names[k]] * (k + 1.5)
        assert float(checks.edges[(gate, 0)].expected) == pytest.approx(1 - math.tanh(u) ** 2, rel=1e-12)
    assert checks.edges.counts() == (len(checks.edges) - 2, 2, 0)


def test_progress_counts_every_edge_of_a_kind_once_across_its_chunks(monkeypatch):
    monkeypatch.setattr(local, "CHUNK", 2)
    text = "f = " + " + ".join(f"sin(x{k})" for k in range(5))
    graph = parse(text)
    values = forward(graph, {f"x{k}": 0.25 * k for k in range(5)})
    back = backward(graph, values)
    heard: list[tuple[str, int, int]] = []
    crosscheck(graph, values, back, progress=lambda stage, done, total: heard.append((stage, done, total)))
    steps = [(done, total) for stage, done, total in heard if stage == "cross-check: local partials"]
    total = steps[0][1]
    dones = [done for done, _ in steps]
    assert dones == sorted(dones) and dones[0] == 0 and max(dones) < total
    # the five sin edges come in chunks of 2: three steps for that kind
    assert len(steps) >= 3


def test_pairs_of_ints_and_nones_are_one_tuple_when_sealed_and_floats_never_join_them():
    # x + 0.05 over and over: sympy's partials are (1, None) at every gate (an edge into a constant is
    # not checked); one tuple serves them all. A float 1.0 is not the int 1: its pair is its own
    ours = [(1, 1), (1, 1), (1, 1), (1.0, 2.0)]
    found = Found(len(ours))
    found.put_all(0, [0, 1, 2, 3], [1, 1, 1, 1.0], [1, 1, 1, 1.0], [True] * 4)
    sealed = found.sealed(ours)
    assert sealed[0] == (1, None) and sealed[0] is sealed[1] is sealed[2]
    assert sealed[3] == (1.0, None) and type(sealed[3][0]) is float and sealed[3] is not sealed[0]
