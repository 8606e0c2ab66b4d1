"""A layered network and the examples it runs on, as `backprop mlp`'s options give them (--layers,
--activation, --input/--target, --seed); datafiles.py reads the CSV and weights files.

Every number the user gives is exact, decimals too (0.1 is 1/10), so a network of identity and
relu layers computes exact gradients. Layers are numbered from 1 (layer l maps the sizes[l-1]
units before it to its sizes[l] units), units and examples from 0, as in the unrolled names.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from ..errors import InputError, LimitError
from ..ops import ACTIVATIONS, Number, exact
from ..parse.bindings import read_value

MAX_LAYERS = 16  # weight layers
MAX_UNITS = 256  # units in one layer
MAX_EXAMPLES = 10_000  # rows of a --data file
IDENTITY = "identity"  # a = z; not an op, so the program writes a plain alias
LAYER_ACTIVATIONS = (*ACTIVATIONS, IDENTITY)
DEFAULT_ACTIVATION = LAYER_ACTIVATIONS[0]  # the op table's first layer activation: sigmoid

Vector = tuple[Number, ...]
Matrix = tuple[Vector, ...]


@dataclass(frozen=True)
class Network:
    sizes: tuple[int, ...]  # units per layer, the inputs first
    activations: tuple[str, ...]  # one per weight layer
    weights: tuple[Matrix, ...]  # W of each layer: one row per unit, one column per unit before it
    biases: tuple[Vector, ...]

    @property
    def depth(self) -> int:
        return len(self.sizes) - 1

    @property
    def parameters(self) -> int:
        return sum(n * (m + 1) for m, n in pairwise(self.sizes))

    @property
    def shape(self) -> str:
        return "-".join(map(str, self.sizes))


@dataclass(frozen=True)
class Examples:
    inputs: Matrix  # one row per example
    targets: Matrix

    @property
    def count(self) -> int:
        return len(self.inputs)


def parse_sizes(text: str) -> tuple[int, ...]:
    """--layers 2,3,1: the units of every layer, the inputs first."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2 or not all(p.isascii() and p.isdigit() for p in parts):
        raise InputError(
            f"--layers takes the unit counts of every layer, inputs first, separated by commas (2,3,1), not {text!a}"
        )
    sizes = tuple(int(p) for p in parts)
    if len(sizes) - 1 > MAX_LAYERS:
        raise LimitError(f"--layers {text} has {len(sizes) - 1} weight layers; the limit is {MAX_LAYERS}")
    if not all(1 <= n <= MAX_UNITS for n in sizes):
        raise LimitError(f"--layers {text}: every layer needs between 1 and {MAX_UNITS} units")
    return sizes


def parse_activations(text: str, depth: int) -> tuple[str, ...]:
    """--activation sigmoid (every layer) or relu,sigmoid (one per weight layer)."""
    names = tuple(p.strip() for p in text.split(","))
    unknown = [n for n in names if n not in LAYER_ACTIVATIONS]
    if unknown:
        raise InputError(f"--activation {unknown[0]!a} is not one of {', '.join(LAYER_ACTIVATIONS)}")
    if len(names) == 1:
        return names * depth
    if len(names) != depth:
        raise InputError(
            f"--activation lists {len(names)} activations; the network has {depth} weight layers "
            f"(give one for all, or one per layer)"
        )
    return names


def exact_value(text: str, head: str) -> Number:
    """A number in the binding grammar (3, -2.5e-3, 1/3), exact even as a decimal."""
    text = text.strip(" \t")
    value = read_value(text, head)
    return exact(Fraction(text)) if type(value) is float else value


def one_example(inputs: str, targets: str, sizes: tuple[int, ...]) -> Examples:
    """--input 0.5,-1.2 --target 1."""
    return Examples(
        (_vector(inputs, "--input", sizes, 0, "input"),), (_vector(targets, "--target", sizes, -1, "output"),)
    )


def _vector(text: str, option: str, sizes: tuple[int, ...], layer: int, unit: str) -> Vector:
    parts = text.split(",")
    if len(parts) != sizes[layer]:
        raise InputError(
            f"{option} has {plural(len(parts), 'value')}; --layers "
            f"{','.join(map(str, sizes))} needs {sizes[layer]} (one per {unit} unit)"
        )
    return tuple(exact_value(p, f"{option} value {i + 1} ") for i, p in enumerate(parts))


def seeded(sizes: tuple[int, ...], activations: tuple[str, ...], seed: int) -> Network:
    """Glorot-uniform weights in +-sqrt(6/(fan_in + fan_out)), on a grid of hundredths so that they
    are short exact decimals; biases 0. Integers only: the same seed gives the same weights anywhere."""
    rng = random.Random(seed)
    weights = []
    for m, n in pairwise(sizes):
        bound = math.isqrt(60000 // (m + n))  # floor(100 * sqrt(6 / (m + n)))
        weights.append(
            tuple(tuple(exact(Fraction(rng.randint(-bound, bound), 100)) for _ in range(m)) for _ in range(n))
        )
    return Network(sizes, activations, tuple(weights), tuple((0,) * n for n in sizes[1:]))


def plural(n: int, thing: str) -> str:
    if n == 1:
        return f"1 {thing}"
    return f"{n} {thing[:-1]}ies" if thing.endswith("y") else f"{n} {thing}s"


def written(v: Number) -> str:
    """A number as a person writes it: 3, 0.37, 1/3 (exactly), or a float by its repr."""
    if type(v) is Fraction:
        return decimal(v) or f"{v.numerator}/{v.denominator}"
    return repr(v) if type(v) is float else str(v)


def decimal(v: Fraction) -> str | None:
    """An exact fraction as a terminating decimal (37/100 -> 0.37), or None if it has none."""
    q, twos, fives = v.denominator, 0, 0
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    if q != 1:
        return None
    places = max(twos, fives)
    digits = str(abs(v.numerator) * 10**places // v.denominator).rjust(places + 1, "0")
    return f"{'-' * (v < 0)}{digits[:-places]}.{digits[-places:]}"
