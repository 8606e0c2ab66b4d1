"""Both routes at once: the unrolled network run by the gate-level engine (the node route) and the
layer formulas (the matrix route), compared entry by entry; what `backprop mlp` shows."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from ..ops import Number, is_exact
from ..pipeline import analyze
from .matrix import Descent, Layer, Loss, Pass, run
from .model import Examples, Matrix, Network
from .unroll import Names, check_size, program


def node_route(network: Network, examples: Examples, loss: Loss) -> Pass:
    """The same quantities as the matrix route, read off the gate-level engine's values and gradients."""
    report = analyze(program(network, examples, loss), path="<unrolled network>", check=False, output="L")
    names, count = Names(examples.count), examples.count

    def value(name: str) -> Number:
        return report.values[report.graph.ids[name]]

    layers = []
    for layer, n in enumerate(network.sizes[1:], 1):
        units = [[names.unit("z", layer, j, e) for e in range(count)] for j in range(n)]
        acts = [[names.unit("a", layer, j, e) for e in range(count)] for j in range(n)]
        layers.append(
            Layer(
                z=tuple(tuple(map(value, row)) for row in units),
                a=tuple(tuple(map(value, row)) for row in acts),
                delta=tuple(tuple(map(report.gradient, row)) for row in units),
                dW=tuple(
                    tuple(report.gradient(f"w{layer}_{j}_{k}") for k in range(network.sizes[layer - 1]))
                    for j in range(n)
                ),
                db=tuple(report.gradient(f"b{layer}_{j}") for j in range(n)),
            )
        )
    return Pass(report.value, tuple(layers))


@dataclass(frozen=True)
class Agreement:
    """One quantity by both routes."""

    name: str  # the program's name for it: L, z1_0, a2_0_e1, dLdz1_0, dLdw2_0_1, dLdb1_2
    quantity: str  # L, z, a, delta, dW or db
    layer: int  # 0 for L
    unit: int
    matrix: Number
    node: Number
    ok: bool


@dataclass(frozen=True)
class Study:
    """Everything `backprop mlp` computed: what the renderers read."""

    network: Network
    examples: Examples
    loss: Loss
    matrix: Pass
    node: Pass
    agreements: tuple[Agreement, ...]
    tol: float
    descent: Descent | None = None

    def counts(self) -> tuple[int, int]:
        passed = sum(1 for a in self.agreements if a.ok)
        return passed, len(self.agreements) - passed

    @property
    def ok(self) -> bool:
        return self.counts()[1] == 0


def study(network: Network, examples: Examples, loss: Loss, tol: float) -> Study:
    """Both routes at the given weights, and their agreement entry by entry."""
    check_size(network, examples)  # before either route: the node route would be too slow
    matrix = run(network, examples, loss)
    node = node_route(network, examples, loss)
    return Study(network, examples, loss, matrix, node, tuple(compare(network, examples, matrix, node, tol)), tol)


def compare(network: Network, examples: Examples, matrix: Pass, node: Pass, tol: float) -> Iterator[Agreement]:
    """Every quantity of both routes, in the order the tables show them: L, then per layer and unit.

    Exact values must be equal. Floats must agree within `tol` relative to the larger of the two,
    or within `tol` times the largest entry of the same quantity in that layer: an entry near zero
    (a sum that cancels) is judged at its neighbours' scale, never against a fixed floor that a
    deep network's tiny but wrong gradients would slip under."""
    names = Names(examples.count)

    def pair(name: str, quantity: str, layer: int, j: int, ours: Number, theirs: Number, scale: float) -> Agreement:
        return Agreement(name, quantity, layer, j, ours, theirs, close(ours, theirs, tol, scale))

    yield pair("L", "L", 0, 0, matrix.loss, node.loss, 0.0)
    for layer, (ours, theirs) in enumerate(zip(matrix.layers, node.layers, strict=True), 1):
        z_, a_, d_ = _largest(ours.z), _largest(ours.a), _largest(ours.delta)
        w_, b_ = _largest(ours.dW), _largest((ours.db,))
        for j in range(network.sizes[layer]):
            for e in range(examples.count):
                z = names.unit("z", layer, j, e)
                yield pair(z, "z", layer, j, ours.z[j][e], theirs.z[j][e], z_)
                yield pair(names.unit("a", layer, j, e), "a", layer, j, ours.a[j][e], theirs.a[j][e], a_)
                yield pair(f"dLd{z}", "delta", layer, j, ours.delta[j][e], theirs.delta[j][e], d_)
            for k in range(network.sizes[layer - 1]):
                yield pair(f"dLdw{layer}_{j}_{k}", "dW", layer, j, ours.dW[j][k], theirs.dW[j][k], w_)
            yield pair(f"dLdb{layer}_{j}", "db", layer, j, ours.db[j], theirs.db[j], b_)


def close(ours: Number, theirs: Number, tol: float, scale: float) -> bool:
    """Equal if both are exact; else within tol relative to the larger, or to `scale`."""
    if is_exact(ours) and is_exact(theirs):
        return ours == theirs
    try:
        a, b = float(ours), float(theirs)
    except OverflowError:  # an exact value beyond the float range cannot be near a float
        return False
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol * scale)


def _largest(matrix: Matrix) -> float:
    """The largest magnitude in a matrix, as a float (the float range's end for larger exact ones)."""
    top = 0.0
    for row in matrix:
        for v in row:
            try:
                top = max(top, abs(float(v)))
            except OverflowError:
                return sys.float_info.max
    return top
