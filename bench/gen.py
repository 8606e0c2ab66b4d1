"""Benchmark workloads: four graph shapes at any size, as an in-memory op list and as a .bp file.

A program is a list of statements in definition order, the same SSA order the parser produces:
`(name, value)` is an input with a decimal value; `(name, op, a, b)` is one gate, where `a` and `b`
name earlier statements, `b` may be a float constant, and `b` is None for a one-argument op.
Every peer in the bench builds its graph from this one list, so they all run the same program.

    python bench/gen.py mlp 100000 > mlp.bp
"""

from __future__ import annotations

import argparse
import random
import sys

WORKLOADS = ("chain", "wide", "mlp", "shared")
# d-W-W-1 shapes of the unrolled MLP, with their op counts: 102, 834, 10,498 and 102,482 gates
MLP_SHAPES = ((3, 5), (8, 16), (16, 64), (32, 210))


def chain(n: int) -> list[tuple]:
    """Depth n: tanh, then *w (a shared input), then +-0.05, over and over."""
    prog: list[tuple] = [("x0", 0.5), ("w", 0.99)]
    for k in range(1, n + 1):
        a = f"x{k - 1}"
        step = (k - 1) % 3
        if step == 0:
            prog.append((f"x{k}", "tanh", a, None))
        elif step == 1:
            prog.append((f"x{k}", "mul", a, "w"))
        else:
            prog.append((f"x{k}", "add" if k % 2 else "sub", a, 0.05))
    return prog


def wide(n: int) -> list[tuple]:
    """n/2 products x_i*y_i summed by a balanced pairwise tree: n leaves, depth log n."""
    rng = random.Random(1)
    half = max(1, n // 2)
    prog: list[tuple] = []
    for i in range(half):
        prog += [(f"x{i}", _decimal(rng)), (f"y{i}", _decimal(rng))]
    level = []
    for i in range(half):
        prog.append((f"p{i}", "mul", f"x{i}", f"y{i}"))
        level.append(f"p{i}")
    depth = 0
    while len(level) > 1:
        depth += 1
        pairs = []
        for j in range(0, len(level) - 1, 2):
            pairs.append(f"s{depth}_{j // 2}")
            prog.append((pairs[-1], "add", level[j], level[j + 1]))
        level = pairs + level[len(level) - len(level) % 2 :]
    return prog


def mlp(n: int) -> list[tuple]:
    """A scalar-unrolled d-W-W-1 tanh MLP and its squared loss; each neuron's sum is a left-to-right chain."""
    d, width = min(MLP_SHAPES, key=lambda s: abs(_mlp_ops(*s) - n))
    rng = random.Random(2)
    prog: list[tuple] = [(f"x{i}", _decimal(rng)) for i in range(d)]
    layer = [f"x{i}" for i in range(d)]
    for name, size, squash in (("h", width, True), ("g", width, True), ("o", 1, False)):
        layer = [_neuron(prog, rng, f"{name}{j}", layer, squash) for j in range(size)]
    prog.append(("target", _decimal(rng)))
    prog.append(("err", "sub", layer[0], "target"))
    prog.append(("loss", "pow", "err", 2))
    return prog


def shared(n: int) -> list[tuple]:
    """a_{k+1} = a_k*a_k + a_k from a0 = -0.4: one input, and an expression tree that doubles each step."""
    prog: list[tuple] = [("a0", -0.4)]
    for k in range(max(1, n // 2)):
        prog.append((f"s{k}", "mul", f"a{k}", f"a{k}"))
        prog.append((f"a{k + 1}", "add", f"s{k}", f"a{k}"))
    return prog


def _mlp_ops(d: int, width: int) -> int:
    return width * (2 * d + 1) + width * (2 * width + 1) + 2 * width + 2


def _neuron(prog: list[tuple], rng: random.Random, name: str, inputs: list[str], squash: bool) -> str:
    scale = len(inputs) ** -0.5
    bias = f"{name}_b"
    prog.append((bias, _decimal(rng, scale)))
    total = bias
    for i, x in enumerate(inputs):
        weight = f"{name}_w{i}"
        prog.append((weight, _decimal(rng, scale)))
        prog.append((f"{name}_m{i}", "mul", weight, x))
        prog.append((f"{name}_s{i}", "add", total, f"{name}_m{i}"))
        total = f"{name}_s{i}"
    if squash:
        prog.append((name, "tanh", total, None))
        return name
    return total


def _decimal(rng: random.Random, scale: float = 1.0) -> float:
    return round(rng.uniform(-scale, scale), 4) or 0.5


GENERATORS = {"chain": chain, "wide": wide, "mlp": mlp, "shared": shared}
SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "pow": "**"}


def program(workload: str, n: int) -> list[tuple]:
    return GENERATORS[workload](n)


def gates(prog: list[tuple]) -> int:
    return sum(1 for stmt in prog if len(stmt) == 4)


def lines(prog: list[tuple]):
    """The program as .bp statement lines, one op per line."""
    for stmt in prog:
        if len(stmt) == 2:
            yield f"{stmt[0]} = {stmt[1]!r}\n"
        elif stmt[3] is None:
            yield f"{stmt[0]} = {stmt[1]}({stmt[2]})\n"
        else:
            yield f"{stmt[0]} = {stmt[2]} {SYMBOLS[stmt[1]]} {stmt[3]}\n"


def write(prog: list[tuple], path: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.writelines(lines(prog))


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a benchmark workload as a .bp program.")
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("n", type=int, help="number of gates (approximate for mlp)")
    parser.add_argument("-o", "--out", help="output path (default: stdout)")
    args = parser.parse_args()
    prog = program(args.workload, args.n)
    if args.out:
        write(prog, args.out)
    else:
        sys.stdout.writelines(lines(prog))


if __name__ == "__main__":
    main()
