"""`backpropcli.verify` on a microgpt-style engine written here: `_children` and `_local_grads`, no op
strings, so every op is found from the values. Correct, then with each classic bug."""

from __future__ import annotations

import math
import random

import pytest

import backpropcli
from backpropcli.testing import assert_gradients


class Value:
    """The protocol of microgpt's Value: each op stores its children and its local gradients."""

    __slots__ = ("_children", "_local_grads", "data", "grad")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, other):
        return Value(self.data**other, (self,), (other * self.data ** (other - 1),))

    def log(self):
        return Value(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        return Value(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self):
        return Value(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def topo(self):
        """Reverse topological order, iteratively (graphs here are deeper than Python's recursion)."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            v, done = stack.pop()
            if done:
                order.append(v)
            elif v not in seen:
                seen.add(v)
                stack.append((v, True))
                stack.extend((c, False) for c in v._children)
        return order

    def backward(self):
        self.grad = 1
        for v in reversed(self.topo()):
            for child, local_grad in zip(v._children, v._local_grads, strict=True):
                child.grad += local_grad * v.grad


# the model: one layer of microgpt, 16-dimensional, 4 heads, on one short name
N_EMBD, N_HEAD, BLOCK, VOCAB = 16, 4, 8, 27


def parameters(seed: int = 42) -> dict[str, list[list[Value]]]:
    rng = random.Random(seed)

    def matrix(rows, cols):
        return [[Value(rng.gauss(0, 0.08)) for _ in range(cols)] for _ in range(rows)]

    return {
        "wte": matrix(VOCAB, N_EMBD),
        "wpe": matrix(BLOCK, N_EMBD),
        "lm_head": matrix(VOCAB, N_EMBD),
        "wq": matrix(N_EMBD, N_EMBD),
        "wk": matrix(N_EMBD, N_EMBD),
        "wv": matrix(N_EMBD, N_EMBD),
        "wo": matrix(N_EMBD, N_EMBD),
        "fc1": matrix(4 * N_EMBD, N_EMBD),
        "fc2": matrix(N_EMBD, 4 * N_EMBD),
    }


def linear(x, w):
    return [sum(wi * xi for wi, xi in zip(wo, x, strict=True)) for wo in w]


def softmax(logits):
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x):
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def gpt(p, token, pos, keys, values):
    x = rmsnorm([t + q for t, q in zip(p["wte"][token], p["wpe"][pos], strict=True)])
    residual = x
    x = rmsnorm(x)
    q, k, v = linear(x, p["wq"]), linear(x, p["wk"]), linear(x, p["wv"])
    keys.append(k)
    values.append(v)
    head = N_EMBD // N_HEAD
    out = []
    for h in range(0, N_EMBD, head):
        logits = [sum(q[h + j] * kt[h + j] for j in range(head)) / head**0.5 for kt in keys]
        weights = softmax(logits)
        out.extend(sum(weights[t] * values[t][h + j] for t in range(len(values))) for j in range(head))
    x = [a + b for a, b in zip(linear(out, p["wo"]), residual, strict=True)]
    residual = x
    x = [xi.relu() for xi in linear(rmsnorm(x), p["fc1"])]
    x = [a + b for a, b in zip(linear(x, p["fc2"]), residual, strict=True)]
    return linear(x, p["lm_head"])


def step(name: str = "emma", seed: int = 42) -> Value:
    """One training step's loss on one name: the graph a microgpt backward() runs over."""
    p = parameters(seed)
    tokens = [0, *(ord(ch) - ord("a") + 1 for ch in name), 0]
    keys, values, losses = [], [], []
    for pos in range(len(tokens) - 1):
        probs = softmax(gpt(p, tokens[pos], pos, keys, values))
        losses.append(-probs[tokens[pos + 1]].log())
    return (1 / len(losses)) * sum(losses)


def neuron() -> tuple[Value, Value]:
    x, w, b = Value(2.0), Value(-3.0), Value(0.5)
    h = x * w + b
    return (h * h + h.exp() + (x * x).log()).relu() / (x**2 + 1), x


def test_a_correct_engine_verifies_clean():
    out, _ = neuron()
    out.backward()
    report = backpropcli.verify(out)
    assert report.ok, str(report)
    ops = {row.op for row in report.rows}
    assert ops >= {"add (inferred)", "mul (inferred)", "exp (inferred)", "log (inferred)", "pow (inferred)"}


def test_the_true_gradient_agrees_with_finite_differences():
    out, x = neuron()
    out.backward()
    report = backpropcli.verify(out)
    root = report.verdicts.nodes.root
    assert report.verdicts.true[root] == 1

    def f(at):
        h = at * -3.0 + 0.5
        return max(0.0, h * h + math.exp(h) + math.log(at * at)) / (at**2 + 1)

    step_ = 1e-6
    numeric = (f(2.0 + step_) - f(2.0 - step_)) / (2 * step_)
    x_row = next(r for r in report.rows if r.data == 2.0 and r.op.startswith("leaf"))
    assert x_row.true == pytest.approx(numeric, rel=1e-6)
    assert x.grad == pytest.approx(numeric, rel=1e-6)


def test_a_microgpt_step_verifies_clean_and_is_big():
    loss = step("em")
    loss.backward()
    report = assert_gradients(loss)
    assert len(report.rows) > 10_000


def test_a_wrong_local_gradient_is_named_at_its_gate(monkeypatch):
    monkeypatch.setattr(Value, "log", lambda self: Value(math.log(self.data), (self,), (1 / self.data**2,)))
    out, _ = neuron()
    out.backward()
    report = backpropcli.verify(out)
    wrong = [r for r in report.rows if not r.ok and r.verdict != "inherited"]
    assert [r.verdict for r in wrong] == ["wrong local", "wrong"]
    assert "log: 1/" in wrong[0].why and "you have 0.0625" in wrong[0].why
    assert wrong[1].why.startswith("should be")


def test_a_wrong_grad_under_a_power_names_its_constant_exponent():
    x = Value(3.0)
    y = x**2
    y.backward()
    x.grad = 5.0  # the rule: 2 * x**(2 - 1) = 6
    report = backpropcli.verify(y)
    (wrong,) = [r for r in report.rows if not r.ok]
    assert wrong.verdict == "wrong"
    assert "pow: 2*#0**(2 - 1) = 6 x" in wrong.why, wrong.why


def _overwriting_backward(self):
    self.grad = 1
    for v in reversed(self.topo()):
        for child, local_grad in zip(v._children, v._local_grads, strict=True):
            child.grad = local_grad * v.grad


def test_overwritten_accumulation(monkeypatch):
    monkeypatch.setattr(Value, "backward", _overwriting_backward)
    x = Value(3.0)
    y = x * x + x
    y.backward()
    report = backpropcli.verify(y)
    assert [(b.kind, b.nodes) for b in report.bugs] == [("overwritten", ("#0",))]


def test_not_reset_between_two_backward_calls():
    out, _ = neuron()
    out.backward()
    out.backward()
    report = backpropcli.verify(out)
    assert {b.kind for b in report.bugs} == {"stale"}


def test_a_node_skipped_by_the_topological_sort(monkeypatch):
    original = Value.topo

    def skipping(self):
        order = original(self)
        return [v for v in order if not (v._children and v.data == -5.5)]  # h = x*w + b

    monkeypatch.setattr(Value, "topo", skipping)
    out, _ = neuron()
    out.backward()
    report = backpropcli.verify(out)
    assert {b.kind for b in report.bugs} == {"unreached"}
    assert all("never arrived" in r.why or "never reached" in r.why for r in report.rows if r.verdict == "unreached")


def test_root_not_seeded(monkeypatch):
    def unseeded(self):
        for v in reversed(self.topo()):
            for child, local_grad in zip(v._children, v._local_grads, strict=True):
                child.grad += local_grad * v.grad

    monkeypatch.setattr(Value, "backward", unseeded)
    out, _ = neuron()
    out.backward()
    report = backpropcli.verify(out)
    assert report.bugs[0].kind == "unseeded"
    assert {r.verdict for r in report.rows} == {"unseeded", "inherited"}


def test_assert_gradients_raises_with_the_table():
    out, _ = neuron()
    out.backward()
    out.backward()
    with pytest.raises(AssertionError, match="stale"):
        assert_gradients(out)


def test_a_chain_deeper_than_python_recursion_verifies():
    x = Value(1.0)
    y = x
    for _ in range(50_000):  # 10^5 nodes in one chain: no recursion anywhere in the walk or the judge
        y = y * 1.0000001
    y.backward()
    report = backpropcli.verify(y)
    assert report.ok and len(report.rows) == 100_001
    assert report.rows[-1].true == pytest.approx(1.0000001**50_000, rel=1e-9)
