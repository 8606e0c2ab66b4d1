"""The public backward passes in samples/, against independent oracles: the real micrograd engine,
the lecture's own numbers, and sympy."""

from __future__ import annotations

from pathlib import Path

import pytest

from backpropcli.autodiff import backward, forward
from backpropcli.claims.grade import grade
from backpropcli.parse import parse

SAMPLES = Path(__file__).parent.parent / "samples"


def sums(name: str) -> dict[str, object]:
    """The written value of every claim (a sum's after its last line), by name."""
    graph = parse((SAMPLES / name).read_text())
    values = forward(graph, {})
    found = {}
    for r in grade(graph, values, backward(graph, values), 1e-9, True):
        assert r.ok, (r.claim.name, r.verdict, r.why)
        found[r.claim.name] = r.written
    return found


def test_the_micrograd_fanout_sums_are_what_micrograd_computes():
    from micrograd.engine import Value

    a, b = Value(-2.0), Value(3.0)
    d = a * b
    e = a + b
    f = d * e
    f.backward()
    claimed = sums("micrograd_fanout.bp")
    assert (claimed["dfda"], claimed["dfdb"]) == (a.grad, b.grad) == (-3.0, -8.0)


def test_the_micrograd_neuron_has_the_lecture_numbers():
    claimed = sums("micrograd_neuron.bp")
    # the lecture's values after o.backward(): x1 -1.5, w1 1.0, x2 0.5, w2 0.0, n 0.5
    expected = {"dx1": -1.5, "dw1": 1.0, "dx2": 0.5, "dw2": 0.0, "dn": 0.5}
    assert {name: claimed[name] for name in expected} == pytest.approx(expected, rel=1e-12)


def test_the_lecture_local_gradients_have_the_slide_numbers():
    claimed = sums("lecture27_local.bp")
    assert [claimed[n] for n in ("dudw", "dudv", "dvdx", "dvdy", "dfdx", "dfdy")] == [1, 1, 2, 3, 8, 12]
