"""A network unrolled to a scalar program for the gate-level engine (the node route; study.py runs it).

Names: x<k> inputs, t<j> targets, w<l>_<j>_<k> the weight from unit k of layer l-1 to unit j of layer
l, b<l>_<j>, z<l>_<j>, a<l>_<j>, the loss L; with several examples, _e<n> marks example n and the
weights are shared. The claims dLd<name> are the layer formulas written out unit by unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from itertools import pairwise

from ..errors import LimitError
from ..explain import FORMULAS, grouped
from ..ops import CROSS_ENTROPY_LOG, OPS, Number
from .matrix import SLOPE, Layer, Loss, Pass
from .model import IDENTITY, Examples, Network

MAX_WEIGHT_USES = 200_000  # examples * weights: the unrolled program has about twice as many nodes
WIDTH = 96  # statements longer than this continue on further lines
_LOG = CROSS_ENTROPY_LOG.functions[0]


def literal(v: Number) -> str:
    """A number as the language reads it back exactly: 3, -2, 37/100, 0.25 (a float by its repr)."""
    if type(v) is Fraction:
        return f"{v.numerator}/{v.denominator}"
    return repr(v) if type(v) is float else str(v)


class Names:
    """The program's names for one network and a number of examples."""

    def __init__(self, examples: int) -> None:
        self.many = examples > 1

    def suffix(self, e: int) -> str:
        return f"_e{e}" if self.many else ""

    def unit(self, kind: str, layer: int, j: int, e: int) -> str:
        """z1_0, a2_1_e3; a0_k is the input x<k>."""
        return f"x{j}{self.suffix(e)}" if kind == "a" and layer == 0 else f"{kind}{layer}_{j}{self.suffix(e)}"


def check_size(network: Network, examples: Examples) -> None:
    uses = examples.count * sum(m * n for m, n in pairwise(network.sizes))
    if uses > MAX_WEIGHT_USES:
        raise LimitError(
            f"{examples.count} examples through {network.parameters} parameters unroll to {uses:,} "
            f"weight uses; the node route's limit is {MAX_WEIGHT_USES:,} (fewer examples or units)"
        )


def program(
    network: Network, examples: Examples, loss: Loss, backward: Pass | None = None, header: tuple[str, ...] = ()
) -> str:
    """The unrolled program; given the matrix route's pass, its backward pass too, as claims."""
    return "".join(_lines(network, examples, loss, backward, header))


def _lines(
    network: Network, examples: Examples, loss: Loss, backward: Pass | None, header: tuple[str, ...]
) -> Iterator[str]:
    names = Names(examples.count)
    yield from (f"# {line}\n" for line in header)
    yield "# Weights and biases\n"
    for layer, (w, b) in enumerate(zip(network.weights, network.biases, strict=True), 1):
        for j, row in enumerate(w):
            yield _packed([f"w{layer}_{j}_{k} = {literal(v)}" for k, v in enumerate(row)])
        yield _packed([f"b{layer}_{j} = {literal(v)}" for j, v in enumerate(b)])
    yield "# Examples: inputs, then targets\n"
    for e, (x, t) in enumerate(zip(examples.inputs, examples.targets, strict=True)):
        s = names.suffix(e)
        yield _packed(
            [f"x{k}{s} = {literal(v)}" for k, v in enumerate(x)] + [f"t{j}{s} = {literal(v)}" for j, v in enumerate(t)]
        )
    yield "# Forward pass\n"
    for e in range(examples.count):
        yield from _forward(network, names, e)
    yield f"L = {_loss(network, examples, loss, names)}\n"
    if backward is not None:
        yield "# Backward pass, from the layer formulas\n"
        yield from _backward(network, examples, loss, names, backward)


def _forward(network: Network, names: Names, e: int) -> Iterator[str]:
    for layer, act in enumerate(network.activations, 1):
        for j in range(network.sizes[layer]):
            terms = [f"w{layer}_{j}_{k}*{names.unit('a', layer - 1, k, e)}" for k in range(network.sizes[layer - 1])]
            z, a = names.unit("z", layer, j, e), names.unit("a", layer, j, e)
            yield f"{z} = {_sum([*terms, f'b{layer}_{j}'])}\n"
            yield f"{a} = {z}\n" if act == IDENTITY else f"{a} = {OPS[act].functions[0]}({z})\n"


def _loss(network: Network, examples: Examples, loss: Loss, names: Names) -> str:
    """The mean over outputs and examples of each output's share, in the matrix route's order."""
    out, count = network.depth, network.sizes[-1] * examples.count
    terms = [
        loss.share_text.format(a=names.unit("a", out, j, e), t=f"t{j}{names.suffix(e)}", log=_LOG)
        for j in range(network.sizes[-1])
        for e in range(examples.count)
    ]
    return _sum(terms, group=count > 1) + (f"/{count}" if count > 1 else "")


def _backward(network: Network, examples: Examples, loss: Loss, names: Names, at: Pass) -> Iterator[str]:
    count = network.sizes[-1] * examples.count
    for layer in range(network.depth, 0, -1):
        yield f"# layer {layer}\n"
        for e in range(examples.count):
            for j in range(network.sizes[layer]):
                a = names.unit("a", layer, j, e)
                if layer == network.depth:
                    right = loss.slope_text.format(a=a, t=f"t{j}{names.suffix(e)}")
                    right += f"/{count}" if count > 1 else ""
                else:
                    right = _sum(
                        [
                            f"w{layer + 1}_{i}_{j}*dLd{names.unit('z', layer + 1, i, e)}"
                            for i in range(network.sizes[layer + 1])
                        ]
                    )
                yield f"dLd{a} = {right}\n"
                local = _local(network, names, at.layers[layer - 1], layer, j, e)
                yield f"dLd{names.unit('z', layer, j, e)} = {local}\n"
        for j in range(network.sizes[layer]):
            deltas = [f"dLd{names.unit('z', layer, j, e)}" for e in range(examples.count)]
            for k in range(network.sizes[layer - 1]):
                yield (
                    f"dLdw{layer}_{j}_{k} = "
                    + _sum([f"{d}*{names.unit('a', layer - 1, k, e)}" for e, d in enumerate(deltas)])
                    + "\n"
                )
            yield f"dLdb{layer}_{j} = {_sum(deltas)}\n"


def _local(network: Network, names: Names, at: Layer, layer: int, j: int, e: int) -> str:
    """dL/dz = dL/da * act'(z): the op table's formula for act' where the language can say it, else
    its number at this point (relu: 1 or 0), which holds on this side of the kink, with a comment."""
    upstream = f"dLd{names.unit('a', layer, j, e)}"
    act = network.activations[layer - 1]
    if act == IDENTITY:
        return upstream
    z = names.unit("z", layer, j, e)
    text = OPS[act].local_text[0].format(z, out=names.unit("a", layer, j, e))
    if FORMULAS.get(OPS[act].local_text[0]) is not None:
        return f"{upstream}*{text if grouped(text) else f'({text})'}"
    slope = literal(SLOPE[act](at.z[j][e], at.a[j][e]))
    return f"{upstream}*{slope}    # {act}'({z}) = {slope} at {z} = {literal(at.z[j][e])}"


def _sum(terms: list[str], group: bool = False) -> str:
    """Terms joined by +; in parentheses, over several lines, when long; `group` asks for parentheses."""
    text = " + ".join(terms)
    if len(text) <= WIDTH:
        return f"({text})" if group and len(terms) > 1 else text
    return "(" + "\n    + ".join(_wrapped(terms, " + ")) + ")"


def _packed(statements: list[str]) -> str:
    """Input statements `name = value` joined by '; ', a line at most WIDTH long where they fit."""
    return "\n".join(_wrapped(statements, "; ")) + "\n"


def _wrapped(items: list[str], separator: str) -> list[str]:
    """Items joined by `separator` into lines at most WIDTH long (an item longer than that gets its own)."""
    lines, line = [], ""
    for item in items:
        if line and len(line) + len(separator) + len(item) > WIDTH:
            lines.append(line)
            line = ""
        line = f"{line}{separator}{item}" if line else item
    return [*lines, line]
