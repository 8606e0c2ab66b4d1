"""The files `backprop mlp` reads and writes: a CSV of examples, and the weights file in JSON.

Every number in them is read exactly (0.1 is 1/10); an error names the file, and for a CSV row or
malformed JSON the line and column with the line itself.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction

from ..errors import InputError, LimitError, Location
from ..ops import Number
from ..parse.inputs import read_input
from .model import MAX_EXAMPLES, Examples, Matrix, Network, Vector, exact_value, plural, written

_LINES = re.compile(r"\r\n|\r|\n")


def read_examples(path: str, sizes: tuple[int, ...]) -> Examples:
    """A CSV file: per row the inputs, then the targets. Blank lines and # comments are skipped;
    a first row of words only is a header."""
    text = read_input(path, "CSV")
    name = "<stdin>" if path == "-" else path
    width = sizes[0] + sizes[-1]
    rows: list[Vector] = []
    header = False
    for number, line in enumerate(_LINES.split(text), 1):
        data = line.partition("#")[0]  # a comment runs to the end of its line, after a row or alone
        if not data.strip(" \t"):
            continue
        cells = data.split(",")
        if not rows and not header and not any(_numeric(c) for c in cells):
            header = True  # words only, before the first example
            continue
        where = Location(number, 1, line, name)
        if len(cells) != width:
            raise InputError(
                f"the row has {plural(len(cells), 'value')}; --layers {','.join(map(str, sizes))} needs "
                f"{width}: {plural(sizes[0], 'input')}, then {plural(sizes[-1], 'target')}",
                where,
            )
        if len(rows) == MAX_EXAMPLES:
            raise LimitError(f"more than {MAX_EXAMPLES} examples; that is the limit", where)
        rows.append(
            tuple(_cell(c, number, line, name, sum(map(len, cells[:k])) + k + 1, k + 1) for k, c in enumerate(cells))
        )
    if not rows:
        read = " (its one row was read as a header: cells are separated by commas)" if header else ""
        raise InputError(
            f"{name}: no examples{read}; each row holds {plural(sizes[0], 'input')}, then "
            f"{plural(sizes[-1], 'target')}, separated by commas"
        )
    return Examples(tuple(r[: sizes[0]] for r in rows), tuple(r[sizes[0] :] for r in rows))


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


def read_weights(path: str, sizes: tuple[int, ...], activations: tuple[str, ...]) -> Network:
    """{"layers": [{"W": [[...], ...], "b": [...]}, ...]}, checked against --layers."""
    text = read_input(path, "weights")
    name = "<stdin>" if path == "-" else path
    try:
        data = json.loads(
            text, parse_float=_json_number(name), parse_int=_json_number(name), parse_constant=_json_constant(name)
        )
    except json.JSONDecodeError as exc:
        line = _LINES.split(text)[exc.lineno - 1]
        raise InputError(f"not JSON: {exc.msg}", Location(exc.lineno, exc.colno, line, name)) from None
    except RecursionError:
        raise LimitError(f"{name}: the JSON is nested too deeply") from None
    layers = data.get("layers") if isinstance(data, dict) else None
    if not isinstance(layers, list) or set(data) != {"layers"}:
        raise InputError(f'{name}: expected {{"layers": [{{"W": [[...], ...], "b": [...]}}, ...]}}')
    if len(layers) != len(sizes) - 1:
        raise InputError(
            f"{name} has {len(layers)} layers; --layers {','.join(map(str, sizes))} needs "
            f"{len(sizes) - 1} (one fewer than the sizes)"
        )
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
        raise InputError(
            f"{path}: layer {layer}'s W has {_count(rows, 'row')}; {needs} {sizes[layer]} (one per output unit)"
        )
    for j, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != sizes[layer - 1]:
            raise InputError(
                f"{path}: layer {layer}'s W row {j} has {_count(row, 'entry')}; {needs} "
                f"{sizes[layer - 1]} (one per input unit)"
            )
    if not isinstance(b, list) or len(b) != sizes[layer]:
        raise InputError(
            f"{path}: layer {layer}'s b has {_count(b, 'entry')}; {needs} {sizes[layer]} (one per output unit)"
        )
    weights = tuple(
        tuple(_entry(v, f"{path}: layer {layer}'s W[{j}][{k}] = ") for k, v in enumerate(row))
        for j, row in enumerate(rows)
    )
    return weights, tuple(_entry(v, f"{path}: layer {layer}'s b[{j}] = ") for j, v in enumerate(b))


def _count(value: object, thing: str) -> str:
    return plural(len(value), thing) if isinstance(value, list) else f"no list of {thing}s"


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
