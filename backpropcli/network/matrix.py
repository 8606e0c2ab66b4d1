"""The matrix route: a network's forward and backward pass with the layer formulas, and gradient descent.

    z^l = W^l a^(l-1) + b^l        a^l = act(z^l)                 a^0 = x
    delta^L = dL/da^L * act'(z^L)  delta^l = (W^(l+1))^T delta^(l+1) * act'(z^l)   (* unit by unit)
    dL/dW^l = delta^l (a^(l-1))^T  dL/db^l = delta^l summed over the examples

z, a and delta are matrices with one column per example; L is the mean over examples and outputs, so
delta carries the 1/N. Exact numbers stay exact where the activations do (identity, relu), with
ops.exact bounding them; gradient descent runs in floats, where exact steps would grow without bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import chain
from operator import mul

from ..errors import InputError, LimitError
from ..ops import ACTIVATIONS, CROSS_ENTROPY_LOG, OPS, Number, exact, show
from .model import IDENTITY, Examples, Matrix, Network, Vector

MAX_STEPS = 100_000
MAX_WORK = 10_000_000  # (steps + 1) * examples * parameters: seconds of gradient descent, not minutes

FORWARD: dict[str, Callable[[Number], Number]] = {name: OPS[name].forward for name in ACTIVATIONS}
FORWARD[IDENTITY] = lambda z: z
SLOPE: dict[str, Callable[[Number, Number], Number]] = {**ACTIVATIONS, IDENTITY: lambda z, a: 1}


@dataclass(frozen=True)
class Loss:
    """One row per loss: one output's share of L before the mean, its derivative in a, and both as
    the unrolled program writes them ({a} the output, {t} the target, {log} the log function)."""

    name: str
    share: Callable[[Number, Number], Number]  # (a, t) -> share
    slope: Callable[[Number, Number], Number]  # (a, t) -> d share / d a
    share_text: str
    slope_text: str
    needs: str = ""  # what the outputs and targets must satisfy, in words; "" if anything goes


def _log(v: Number) -> Number:
    return CROSS_ENTROPY_LOG.forward(v)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", lambda a, t: (a - t) * (a - t), lambda a, t: 2 * (a - t), "({a} - {t})**2", "2*({a} - {t})"),
        Loss(
            "bce",
            lambda a, t: -(t * _log(a) + (1 - t) * _log(1 - a)),
            lambda a, t: -(t / a - (1 - t) / (1 - a)),
            "-({t}*{log}({a}) + (1 - {t})*{log}(1 - {a}))",
            "-({t}/{a} - (1 - {t})/(1 - {a}))",
            "outputs strictly between 0 and 1 and targets in [0, 1]",
        ),
    )
}


@dataclass(frozen=True)
class Layer:
    z: Matrix  # units x examples
    a: Matrix
    delta: Matrix  # dL/dz
    dW: Matrix  # units x units before
    db: Vector


@dataclass(frozen=True)
class Pass:
    loss: Number
    layers: tuple[Layer, ...]


def columns(rows: Matrix) -> Matrix:
    """Examples as rows -> units x examples, the batched matrix form."""
    return tuple(zip(*rows, strict=True))


def run(network: Network, examples: Examples, loss: Loss) -> Pass:
    """Forward and backward through the layers; bad values are errors naming the layer."""
    check_targets(examples, loss)
    try:
        zs, acts = _forward(network, columns(examples.inputs))
        check_outputs(network, acts[-1], loss)
        return _backward(network, zs, acts, columns(examples.targets), loss)
    except (OverflowError, ZeroDivisionError) as exc:
        raise InputError(f"the network's values overflow ({exc}); the weights or inputs are too large") from None


def _finite(m: Matrix, what: str) -> None:
    """Exact values are bounded by ops.exact; a float must still be finite. `what` names row j, column c."""
    for j, row in enumerate(m):
        for c, v in enumerate(row):
            if type(v) is float and not math.isfinite(v):
                raise InputError(f"{what.format(j=j, c=c)} overflows: it is no longer a finite number")


def _forward(network: Network, x: Matrix) -> tuple[list[Matrix], list[Matrix]]:
    zs: list[Matrix] = []
    acts: list[Matrix] = [x]
    for layer, (w, b, name) in enumerate(zip(network.weights, network.biases, network.activations, strict=True), 1):
        inputs = columns(acts[-1])  # per example, the units before
        z = tuple(
            tuple(_sum(chain(map(mul, row, col), (bias,))) for col in inputs) for row, bias in zip(w, b, strict=True)
        )
        _finite(z, f"z{layer}_{{j}} of example {{c}}")
        act = FORWARD[name]
        zs.append(z)
        acts.append(tuple(tuple(exact(act(v)) for v in unit) for unit in z))
    return zs, acts


def _sum(values: Iterable[Number]) -> Number:
    """Left to right, as the unrolled program adds, and kept bounded after every addition as the
    engine's add gate is: exact while small, a float past the op table's limit on exact size."""
    total: Number = 0
    for v in values:
        total = total + v
        if type(total) is not float:
            total = exact(total)
    return total


def _mean(v: Number, count: int) -> Number:
    """v / count: exact for an exact v."""
    return v / count if type(v) is float else exact(Fraction(v) / count)


def _backward(network: Network, zs: list[Matrix], acts: list[Matrix], t: Matrix, loss: Loss) -> Pass:
    out = acts[-1]
    count = len(out) * len(out[0])  # outputs * examples
    total = _mean(
        _sum(
            loss.share(a, y) for unit, targets in zip(out, t, strict=True) for a, y in zip(unit, targets, strict=True)
        ),
        count,
    )
    _finite(((total,),), "L")
    upstream = tuple(
        tuple(_mean(loss.slope(a, y), count) for a, y in zip(unit, targets, strict=True))
        for unit, targets in zip(out, t, strict=True)
    )  # dL/da of the outputs
    layers: list[Layer] = []
    for layer in range(network.depth, 0, -1):
        slope = SLOPE[network.activations[layer - 1]]
        delta = tuple(
            tuple(exact(g * slope(z, a)) for g, z, a in zip(*rows, strict=True))
            for rows in zip(upstream, zs[layer - 1], acts[layer], strict=True)
        )
        _finite(delta, f"dL/dz{layer}_{{j}} of example {{c}}")
        dW = tuple(tuple(_sum(map(mul, d, unit)) for unit in acts[layer - 1]) for d in delta)
        _finite(dW, f"dL/dw{layer}_{{j}}_{{c}}")
        db = tuple(_sum(d) for d in delta)
        _finite((db,), f"dL/db{layer}_{{c}}")
        layers.append(Layer(zs[layer - 1], acts[layer], delta, dW, db))
        if layer > 1:  # (W^l)^T delta^l: what each unit before receives
            upstream = tuple(
                tuple(_sum(map(mul, col, per_example)) for per_example in columns(delta))
                for col in columns(network.weights[layer - 1])
            )
    return Pass(total, tuple(reversed(layers)))


def check_targets(examples: Examples, loss: Loss) -> None:
    if not loss.needs:
        return
    for e, targets in enumerate(examples.targets):
        for j, t in enumerate(targets):
            if not 0 <= t <= 1:
                raise InputError(f"{loss.name} needs {loss.needs}; target {j} of example {e} is {show(t)}")


def check_outputs(network: Network, out: Matrix, loss: Loss) -> None:
    if not loss.needs:
        return
    for j, unit in enumerate(out):
        for e, a in enumerate(unit):
            if not 0 < a < 1:
                why = "a float that saturated" if a in (0, 1) and type(a) is float else "out of range"
                raise InputError(
                    f"{loss.name} needs {loss.needs}; output {j} of example {e} is {show(a)} ({why}; "
                    f"the last layer's activation is {network.activations[-1]})"
                )


@dataclass(frozen=True)
class Descent:
    lr: float
    losses: tuple[float, ...]  # before the first step, then after each step
    network: Network  # the weights after the last step


def check_work(network: Network, examples: Examples, steps: int) -> None:
    if not 0 <= steps <= MAX_STEPS:
        raise LimitError(f"--steps takes 0 to {MAX_STEPS}, not {steps}")
    work = (steps + 1) * examples.count * network.parameters
    if work > MAX_WORK:
        raise LimitError(
            f"{steps} steps on {examples.count} examples with {network.parameters} parameters is "
            f"{work:,} weight updates; the limit is {MAX_WORK:,} (fewer steps, examples or units)"
        )


def descend(network: Network, examples: Examples, loss: Loss, lr: float, steps: int) -> Descent:
    """Plain gradient descent on all the examples at once, in floats: W <- W - lr * dL/dW."""
    check_work(network, examples, steps)
    try:
        current = _floats(network)
        data = Examples(
            *(tuple(tuple(map(float, row)) for row in rows) for rows in (examples.inputs, examples.targets))
        )
    except OverflowError:
        raise InputError(
            "gradient descent runs in floats, and a weight, input or target is beyond the float range"
        ) from None
    losses: list[float] = []
    for step in range(steps + 1):
        try:
            result = run(current, data, loss)
        except InputError as exc:
            raise InputError(f"gradient descent, after {step} steps: {exc.message} (try a smaller --lr)") from None
        losses.append(float(result.loss))  # already a float: descent runs in floats
        if step < steps:
            current = replace(
                current,
                weights=tuple(
                    tuple(
                        tuple(w - lr * g for w, g in zip(row, grow, strict=True))
                        for row, grow in zip(wl, layer.dW, strict=True)
                    )
                    for wl, layer in zip(current.weights, result.layers, strict=True)
                ),
                biases=tuple(
                    tuple(v - lr * g for v, g in zip(bl, layer.db, strict=True))
                    for bl, layer in zip(current.biases, result.layers, strict=True)
                ),
            )
    return Descent(lr, tuple(losses), current)


def _floats(network: Network) -> Network:
    return replace(
        network,
        weights=tuple(tuple(tuple(map(float, row)) for row in w) for w in network.weights),
        biases=tuple(tuple(map(float, b)) for b in network.biases),
    )
