"""`backpropcli.verify` against the real micrograd package: its graphs verify clean, and copies broken
the classic ways (patched with monkeypatch, undone after each test) get the right verdict."""

from __future__ import annotations

import math
import random

import pytest

import backpropcli
from backpropcli.testing import assert_gradients

engine = pytest.importorskip("micrograd.engine")
nn = pytest.importorskip("micrograd.nn")
Value = engine.Value


def readme_expression():
    """micrograd's own README example; it prints 24.7041 and a.grad 138.8338, b.grad 645.5773."""
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g, a, b


def neuron(act: str = "relu"):
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
    for v, name in ((x1, "x1"), (x2, "x2"), (w1, "w1"), (w2, "w2"), (b, "b")):
        v.label = name
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = getattr(n, act)()
    o.label = "o"
    return o


def mlp_loss(model):
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    return sum(((model(x) - y) ** 2 for x, y in zip(xs, ys, strict=True)), Value(0.0))


def lecture_tanh(self):
    """The lecture's tanh, which PyPI's micrograd lacks."""
    t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def test_the_readme_example_verifies_clean_and_matches_micrograd():
    g, a, b = readme_expression()
    g.backward()
    report = backpropcli.verify(g)
    assert report.ok, str(report)
    assert (round(g.data, 4), round(a.grad, 4), round(b.grad, 4)) == (24.7041, 138.8338, 645.5773)
    true = {row.data: row.true for row in report.rows if row.op == "leaf"}
    assert true[-4.0] == pytest.approx(a.grad, rel=1e-12) and true[2.0] == pytest.approx(b.grad, rel=1e-12)


def test_the_lecture_neuron_verifies_clean(monkeypatch):
    monkeypatch.setattr(Value, "tanh", lecture_tanh, raising=False)
    o = neuron("tanh")
    o.backward()
    report = assert_gradients(o)
    assert [r.name for r in report.rows][:2] == ["o", "n"]
    assert next(r for r in report.rows if r.name == "n").true == pytest.approx(0.5, abs=1e-12)


def test_an_mlp_verifies_clean():
    random.seed(1337)
    model = nn.MLP(3, [4, 4, 1])
    loss = mlp_loss(model)
    model.zero_grad()
    loss.backward()
    report = assert_gradients(loss)
    assert len(report.rows) > 300


def test_a_plus_a_has_one_child_in_micrograd_and_counts_twice():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert len(b._prev) == 1 and a.grad == 2
    assert backpropcli.verify(b).ok


def _assigning_add(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, (self, other), "+")

    def _backward():
        self.grad = out.grad
        other.grad = out.grad

    out._backward = _backward
    return out


def test_assignment_for_accumulation_is_overwritten_accumulation(monkeypatch):
    monkeypatch.setattr(Value, "__add__", _assigning_add)
    a = Value(3.0)
    a.label = "a"
    b = a + a
    b.backward()
    report = backpropcli.verify(b)
    assert a.grad == 1
    assert [(bug.kind, bug.nodes) for bug in report.bugs] == [("overwritten", ("a",))]
    assert "not the sum 1 + 1 = 2" in next(r.why for r in report.rows if r.name == "a")


def test_tanh_derivative_as_one_minus_t_is_wrong_at_n(monkeypatch):
    def bad_tanh(self):
        out = lecture_tanh(self)

        def _backward():
            self.grad += (1 - out.data) * out.grad

        out._backward = _backward
        return out

    monkeypatch.setattr(Value, "tanh", bad_tanh, raising=False)
    o = neuron("tanh")
    o.backward()
    report = backpropcli.verify(o)
    n = next(r for r in report.rows if r.name == "n")
    assert n.verdict == "wrong"
    assert "tanh: 1 - out**2 = 0.5" in n.why and "implies a local gradient of 0.292893" in n.why
    assert {r.verdict for r in report.rows if r.name in ("x1", "w1", "b")} == {"inherited"}
    assert report.bugs[0].nodes == ("n",)


def test_relu_passing_its_output_instead_of_its_gate(monkeypatch):
    def bad_relu(self):
        out = Value(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    monkeypatch.setattr(Value, "relu", bad_relu)
    o = neuron("relu")
    o.backward()
    report = backpropcli.verify(o)
    assert [(b.kind, b.nodes) for b in report.bugs] == [("wrong", ("n",))]
    assert "relu: (1 if n > 0 else 0) = 1" in next(r.why for r in report.rows if r.name == "n")


def test_no_zero_grad_between_two_backward_calls_is_stale():
    random.seed(7)
    model = nn.MLP(3, [4, 1])
    mlp_loss(model).backward()
    loss = mlp_loss(model)  # the same step again, without model.zero_grad()
    loss.backward()
    report = backpropcli.verify(loss)
    assert [b.kind for b in report.bugs] == ["stale"]
    stale = [r for r in report.rows if r.verdict == "stale"]
    assert len(stale) == len([p for p in model.parameters() if p.grad != 0])  # a dead relu's stay 0
    assert all(r.grad == pytest.approx(2 * r.true, rel=1e-9) for r in stale)


def test_backward_twice_on_one_graph_is_stale():
    g, _, _ = readme_expression()
    g.backward()
    g.backward()
    report = backpropcli.verify(g)
    assert {b.kind for b in report.bugs} == {"stale"}


def _topo(root):
    """micrograd's topological sort, iteratively."""
    topo, visited, stack = [], set(), [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            topo.append(v)
        elif v not in visited:
            visited.add(v)
            stack.append((v, True))
            stack.extend((c, False) for c in v._prev)
    return topo


def test_a_node_the_topological_sort_skipped_is_never_reached(monkeypatch):
    def skipping_backward(self):
        self.grad = 1
        for v in reversed(_topo(self)):
            if getattr(v, "label", "") != "n":  # the sort lost n: its backward never runs
                v._backward()

    monkeypatch.setattr(Value, "backward", skipping_backward)
    o = neuron("relu")
    o.backward()
    report = backpropcli.verify(o)
    assert [b.kind for b in report.bugs] == ["unreached"]
    assert "never reached" in next(r.why for r in report.rows if r.name == "b")


def test_a_root_never_seeded(monkeypatch):
    def unseeded(self):
        for v in reversed(_topo(self)):
            v._backward()

    monkeypatch.setattr(Value, "backward", unseeded)
    o = neuron("relu")
    o.backward()
    report = backpropcli.verify(o)
    assert [(b.kind, b.nodes) for b in report.bugs] == [("unseeded", ("o",))]


def test_export_then_the_command_gives_the_same_verdicts(tmp_path, cli, monkeypatch):
    monkeypatch.setattr(Value, "__add__", _assigning_add)
    a = Value(3.0)
    a.label = "a"
    b = a + a
    b.backward()
    path = tmp_path / "graph.jsonl"
    backpropcli.export(b, str(path))
    result = cli("verify", str(path))
    assert result.code == 1
    assert "overwritten accumulation" in result.out and result.out.rstrip().endswith("verify: 1 passed, 1 failed")


def test_the_readme_script_prints_what_the_readme_shows():
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text()
    section = readme[readme.index("## Check another engine's gradients") :]
    script, shown = re.findall(r"```(?:python)?\n(.*?)```", section, re.S)[:2]
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert [line.rstrip() for line in done.stdout.rstrip().splitlines()] == shown.rstrip().splitlines()


def test_children_alike_in_value_read_the_same_in_every_build():
    """micrograd's `_prev` is a set, ordered by the objects' addresses: two children with the same
    value (p = x*y and q = u + v are both 6, with the same gradient) must still come out in one order."""

    def build():
        x, y, u, v = Value(2.0), Value(3.0), Value(1.0), Value(5.0)
        r = (x * y) * (u + v)
        r.backward()
        return str(backpropcli.verify(r))

    shown = {build() for _ in range(40)}
    assert len(shown) == 1
    rows = [line.split()[:3] for line in next(iter(shown)).splitlines() if line.lstrip().startswith("#")]
    # post-order, children by (value, gradient, op): x*y ('*' before '+') first, its 2 before its 3
    assert rows == [
        ["#6", "*", "36"],
        ["#5", "+", "6"],
        ["#4", "leaf", "5"],
        ["#3", "leaf", "1"],
        ["#2", "*", "6"],
        ["#1", "leaf", "3"],
        ["#0", "leaf", "2"],
    ]
