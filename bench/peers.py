"""The engines the bench compares, each building its graph from the same in-memory op list (gen.py).

`build_ours` goes through the Builder the parser itself uses and yields the same Graph the parser
would (minus source positions); `build_micrograd` makes micrograd Value objects. Each `run_*`
returns the output value and the gradient of every input, so the bench can check they agree.

    python bench/peers.py micrograd mlp 100000   # one whole process: generate, build, backward
"""

from __future__ import annotations

import math
import sys
import time

import gen

from backpropcli.autodiff import backward, forward
from backpropcli.errors import Source
from backpropcli.graph import INPUT, Graph
from backpropcli.ops import OPS
from backpropcli.parse.syntax import Builder


def build_ours(prog: list[tuple]) -> Graph:
    """The Graph of the program, built node by node through the parser's Builder."""
    b = Builder(Source(""))
    leaf, const, binary, unary = b.leaf, b.const, b.binary, b.unary
    ids: dict[str, int] = {}
    for stmt in prog:
        if len(stmt) == 2:
            ids[stmt[0]] = leaf(INPUT, stmt[0], stmt[1], 0, 0)
            continue
        name, op, a, c = stmt  # one statement `name = a op c`: the gate carries its name, as the parser's are
        if c is None:
            ids[name] = unary(OPS[op], ids[a], 0, 0, name)
        else:
            ids[name] = binary(OPS[op], ids[a], ids[c] if type(c) is str else const(c, 0, 0), 0, 0, name)
    return b.graph(len(b.nodes) - 1)


def walk(prog: list[tuple]) -> int:
    """build_ours's own loop over the op list with nothing built: names resolved to ids, arguments
    gathered. Any build from this list pays at least this much (micrograd's walks it too)."""
    ids: dict[str, int] = {}
    count = 0
    for stmt in prog:
        if len(stmt) == 2:
            ids[stmt[0]] = count
            count += 1
            continue
        name, _, a, c = stmt
        args = (ids[a],) if c is None else (ids[a], ids[c] if type(c) is str else count)
        count += len(args)
        ids[name] = count
    return count


def run_ours(prog: list[tuple]) -> tuple[float, dict[str, float]]:
    graph = build_ours(prog)
    values = forward(graph, {})
    back = backward(graph, values)
    return values[graph.output], {graph.nodes[i].name: back.grads[i] for i in graph.inputs}


def patch_micrograd_tanh() -> None:
    """micrograd 0.1.0 has no tanh: add one the way its own ops are written (a closure per node)."""
    from micrograd.engine import Value

    if hasattr(Value, "tanh"):
        return

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    Value.tanh = tanh


MICROGRAD_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "pow": lambda a, b: a**b,
    "tanh": lambda a, b: a.tanh(),
}


def build_micrograd(prog: list[tuple]):
    """micrograd Values for the program; returns the output Value and the input Values by name."""
    from micrograd.engine import Value

    patch_micrograd_tanh()
    env: dict = {}
    leaves = {}
    for stmt in prog:
        if len(stmt) == 2:
            env[stmt[0]] = leaves[stmt[0]] = Value(stmt[1])
            continue
        name, op, a, c = stmt
        env[name] = MICROGRAD_OPS[op](env[a], env[c] if type(c) is str else c)
    return env[prog[-1][0]], leaves


def run_micrograd(prog: list[tuple]) -> tuple[float, dict[str, float]]:
    out, leaves = build_micrograd(prog)
    out.backward()
    return out.data, {name: v.grad for name, v in leaves.items()}


def main() -> None:
    """One whole micrograd process, for the whole-process comparison: generate, build, backward."""
    peer, workload, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if peer != "micrograd":
        raise SystemExit("usage: peers.py micrograd WORKLOAD N")
    sys.setrecursionlimit(10**7)
    start = time.perf_counter()
    prog = gen.program(workload, n)
    made = time.perf_counter()
    run_micrograd(prog)
    done = time.perf_counter()
    print(f"generate {made - start:.3f}s build+forward+backward {done - made:.3f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
