"""A layered network and the examples it runs on: the inputs of `backprop mlp`, read and checked.

Every number the user gives is exact, decimals too (0.1 is 1/10), so a network of identity and
relu layers computes exact gradients. Layers are numbered from 1 (layer l maps the sizes[l-1]
units before it to its sizes[l] units), units and examples from 0, as in the unrolled names.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from .bindings import read_value
from .errors import InputError, LimitError, Location
from .inputs import read_input
from .ops import ACTIVATIONS, Number, exact

MAX_LAYERS = 16  # weight layers
MAX_UNITS = 256  # units in one layer
MAX_EXAMPLES = 10_000  # rows of a --data file
IDENTITY = "identity"  # a = z; not an op, so the program writes a plain alias
LAYER_ACTIVATIONS = (*ACTIVATIONS, IDENTITY)
DEFAULT_ACTIVATION = LAYER_ACTIVATIONS[0]  # the op table's first layer activation: sigmoid

Vector = tuple[Number, ...]
Matrix = tuple[Vector, ...]
_LINES = re.compile(r"\r\n|\r|\n")


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
        raise InputError(f"--layers takes the unit counts of every layer, inputs first, separated by commas "
                         f"(2,3,1), not {text!a}")
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
        raise InputError(f"--activation lists {len(names)} activations; the network has {depth} weight layers "
                         f"(give one for all, or one per layer)")
    return names


def exact_value(text: str, head: str) -> Number:
    """A number in the binding grammar (3, -2.5e-3, 1/3), exact even as a decimal."""
    text = text.strip(" \t")
    value = read_value(text, head)
    return exact(Fraction(text)) if type(value) is float else value


def one_example(inputs: str, targets: str, sizes: tuple[int, ...]) -> Examples:
    """--input 0.5,-1.2 --target 1."""
    return Examples((_vector(inputs, "--input", sizes, 0, "input"),),
                    (_vector(targets, "--target", sizes, -1, "output"),))


def _vector(text: str, option: str, sizes: tuple[int, ...], layer: int, unit: str) -> Vector:
    parts = text.split(",")
    if len(parts) != sizes[layer]:
        raise InputError(f"{option} has {_plural(len(parts), 'value')}; --layers "
                         f"{','.join(map(str, sizes))} needs {sizes[layer]} (one per {unit} unit)")
    return tuple(exact_value(p, f"{option} value {i + 1} ") for i, p in enumerate(parts))


def read_examples(path: str, sizes: tuple[int, ...]) -> Examples:
    """A CSV file: per row the inputs, then the targets. Blank lines and # comments are skipped;
    a first row of words only is a header."""
    text = read_input(path, "CSV")
    name = "<stdin>" if path == "-" else path
    width = sizes[0] + sizes[-1]
    rows: list[Vector] = []
    header = False
    for number, line in enumerate(_LINES.split(text), 1):
        cells = line.split(",")
        if not line.strip(" \t") or line.lstrip(" \t").startswith("#"):
            continue
        if not rows and not header and not any(_numeric(c) for c in cells):
            header = True  # words only, before the first example
            continue
        where = Location(number, 1, line, name)
        if len(cells) != width:
            raise InputError(f"the row has {_plural(len(cells), 'value')}; --layers {','.join(map(str, sizes))} needs "
                             f"{width}: {_plural(sizes[0], 'input')}, then {_plural(sizes[-1], 'target')}", where)
        if len(rows) == MAX_EXAMPLES:
            raise LimitError(f"more than {MAX_EXAMPLES} examples; that is the limit", where)
        rows.append(tuple(_cell(c, number, line, name, sum(map(len, cells[:k])) + k + 1, k + 1)
                          for k, c in enumerate(cells)))
    if not rows:
        read = " (its one row was read as a header: cells are separated by commas)" if header else ""
        raise InputError(f"{name}: no examples{read}; each row holds {_plural(sizes[0], 'input')}, then "
                         f"{_plural(sizes[-1], 'target')}, separated by commas")
    return Examples(tuple(r[: sizes[0]] for r in rows), tuple(r[sizes[0]:] for r in rows))


def _numeric(cell: str) -> bool:
    try:
        exact_value(cell, "")
    except InputError:
        return False
    return True


def _cell(text: str, line: int, line_text: str, path: str, col: int, column: int) -> Number:
    value = text.strip(" \t")
    try:
        return exact_value(value, f"column {column} ")
    except InputError as exc:
        start = col + (len(text) - len(text.lstrip(" \t")) if value else 0)
        raise InputError(exc.message, Location(line, start, line_text, path, max(1, len(value)))) from None


def seeded(sizes: tuple[int, ...], activations: tuple[str, ...], seed: int) -> Network:
    """Glorot-uniform weights in +-sqrt(6/(fan_in + fan_out)), on a grid of hundredths so that they
    are short exact decimals; biases 0. Integers only: the same seed gives the same weights anywhere."""
    rng = random.Random(seed)
    weights = []
    for m, n in pairwise(sizes):
        bound = math.isqrt(60000 // (m + n))  # floor(100 * sqrt(6 / (m + n)))
        weights.append(tuple(tuple(exact(Fraction(rng.randint(-bound, bound), 100)) for _ in range(m))
                             for _ in range(n)))
    return Network(sizes, activations, tuple(weights), tuple((0,) * n for n in sizes[1:]))


def read_weights(path: str, sizes: tuple[int, ...], activations: tuple[str, ...]) -> Network:
    """{"layers": [{"W": [[...], ...], "b": [...]}, ...]}, checked against --layers."""
    text = read_input(path, "weights")
    name = "<stdin>" if path == "-" else path
    try:
        data = json.loads(text, parse_float=_json_number(name), parse_int=_json_number(name),
                          parse_constant=_json_constant(name))
    except json.JSONDecodeError as exc:
        line = _LINES.split(text)[exc.lineno - 1]
        raise InputError(f"not JSON: {exc.msg}", Location(exc.lineno, exc.colno, line, name)) from None
    except RecursionError:
        raise LimitError(f"{name}: the JSON is nested too deeply") from None
    layers = data.get("layers") if isinstance(data, dict) else None
    if not isinstance(layers, list) or set(data) != {"layers"}:
        raise InputError(f'{name}: expected {{"layers": [{{"W": [[...], ...], "b": [...]}}, ...]}}')
    if len(layers) != len(sizes) - 1:
        raise InputError(f"{name} has {len(layers)} layers; --layers {','.join(map(str, sizes))} needs "
                         f"{len(sizes) - 1} (one fewer than the sizes)")
    shaped = [_layer(data, name, layer, sizes) for layer, data in enumerate(layers, 1)]
    return Network(sizes, activations, tuple(w for w, _ in shaped), tuple(b for _, b in shaped))


def _json_number(path: str):
    return lambda text: exact_value(text, f"{path}: the number ")


def _json_constant(path: str):
    def refuse(text: str) -> Number:
        raise InputError(f"{path}: {text} is not a number a network can use")
    return refuse


def _layer(data: object, path: str, layer: int, sizes: tuple[int, ...]) -> tuple[Matrix, Vector]:
    if not isinstance(data, dict) or set(data) != {"W", "b"}:
        raise InputError(f"{path}: layer {layer} must be an object with the keys W and b, and no others")
    needs = f"--layers {','.join(map(str, sizes))} needs"
    rows, b = data["W"], data["b"]
    if not isinstance(rows, list) or len(rows) != sizes[layer]:
        raise InputError(f"{path}: layer {layer}'s W has {_count(rows, 'row')}; {needs} {sizes[layer]} "
                         f"(one per output unit)")
    for j, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != sizes[layer - 1]:
            raise InputError(f"{path}: layer {layer}'s W row {j} has {_count(row, 'entry')}; {needs} "
                             f"{sizes[layer - 1]} (one per input unit)")
    if not isinstance(b, list) or len(b) != sizes[layer]:
        raise InputError(f"{path}: layer {layer}'s b has {_count(b, 'entry')}; {needs} {sizes[layer]} "
                         f"(one per output unit)")
    weights = tuple(tuple(_entry(v, f"{path}: layer {layer}'s W[{j}][{k}] = ") for k, v in enumerate(row))
                    for j, row in enumerate(rows))
    return weights, tuple(_entry(v, f"{path}: layer {layer}'s b[{j}] = ") for j, v in enumerate(b))


def _plural(n: int, thing: str) -> str:
    if n == 1:
        return f"1 {thing}"
    return f"{n} {thing[:-1]}ies" if thing.endswith("y") else f"{n} {thing}s"


def _count(value: object, thing: str) -> str:
    return _plural(len(value), thing) if isinstance(value, list) else f"no list of {thing}s"


def _entry(value: object, head: str) -> Number:
    """A JSON number (already exact), or a string in the binding grammar such as "1/3"."""
    if isinstance(value, str):
        return exact_value(value, head)
    if isinstance(value, int | Fraction) and not isinstance(value, bool):
        return value
    raise InputError(f"{head}{json.dumps(value)[:40]} is not a number")


def weights_json(network: Network) -> str:
    """The weights file format, read back exactly: decimals where they are exact, else "p/q"."""
    layers = []
    for w, b in zip(network.weights, network.biases, strict=True):
        rows = ",\n        ".join(f"[{', '.join(map(_token, row))}]" for row in w)
        layers.append(f'  {{"W": [{rows}],\n   "b": [{", ".join(map(_token, b))}]}}')
    return '{"layers": [\n' + ",\n".join(layers) + "\n]}\n"


def _token(v: Number) -> str:
    """A number as a JSON token: a fraction without a decimal form becomes the string "p/q"."""
    text = written(v)
    return f'"{text}"' if "/" in text else text


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
