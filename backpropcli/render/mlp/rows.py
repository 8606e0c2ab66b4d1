"""What `backprop mlp` shows, as plain lines and grids that the table and Markdown views both draw:
per layer z, a, delta, W and b, dL/dW and dL/db laid out like matrices, each checked against the
node route; then gradient descent, its loss curve and weights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Context
from fractions import Fraction
from typing import NamedTuple

from ...network.matrix import Descent, Layer
from ...network.model import Network, decimal
from ...network.study import Agreement, Study
from ...ops import Number
from ..cells import Glyphs

COLUMNS = 6  # examples or inputs shown per matrix, so a table fits 100 columns; --format json has them all
ROWS = 32  # units shown per layer
STEP_ROWS = 21  # gradient descent steps listed (all of up to 20 steps); the curve shows the rest
CURVE = 40  # characters of the loss curve at most: its line fits 80 columns


class Text(NamedTuple):
    """A line of prose; style is "", "bold" or "dim". A leading newline starts a new block."""

    text: str
    style: str = ""


@dataclass
class Grid:
    """A table: column headings, rows of cells, and the row counts after which a section ends."""

    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    sections: list[int] = field(default_factory=list)

    def add_row(self, *cells: str) -> None:
        self.rows.append(cells)

    def add_section(self) -> None:
        self.sections.append(len(self.rows))

    def right(self, column: str) -> bool:
        """Numbers right-aligned; the unit index, the row labels and the check marks left."""
        return column not in ("", "j", "check")


Part = Text | Grid


def document(study: Study, g: Glyphs) -> list[Part]:
    net, count = study.network, study.examples.count
    plural = "s" * (count != 1)
    parts: list = [
        Text(f"A {net.shape} network ({', '.join(net.activations)}), {study.loss.name} loss, {count} example{plural}"),
        *_examples(study),
        Text(f"L = {number(study.matrix.loss)}  {_mark(study.agreements[:1], g)}", style="bold"),
    ]
    by_unit: dict[tuple[int, int], list[Agreement]] = {}
    for a in study.agreements[1:]:
        by_unit.setdefault((a.layer, a.unit), []).append(a)
    for layer, values in enumerate(study.matrix.layers, 1):
        units = net.sizes[layer]
        parts.append(
            Text(
                f"\nLayer {layer}: {net.sizes[layer - 1]} -> {units} unit{'s' * (units != 1)}, "
                f"{net.activations[layer - 1]}",
                style="bold",
            )
        )
        parts.extend(_units(study, layer, values, by_unit, g))
        parts.extend(parameters(net, layer, ""))
        parts.extend(_gradients(study, layer, values, by_unit, g))
    if study.descent is not None:
        parts.extend(_descent(study.descent, count, g))
    passed, failed = study.counts()
    parts.append(Text("\ncheck: layer formulas vs the node-level engine on the unrolled network (--emit)", style="dim"))
    parts.append(Text(f"checks: {passed} passed, {failed} failed", style="bold red" if failed else "bold green"))
    return parts


_SIX = Context(prec=6)


def number(v: Number) -> str:
    """Short for a matrix cell: an exact decimal or fraction while short (0.37, 1/3), else 6 digits."""
    if type(v) is not float:
        exact = (decimal(v) or str(v)) if isinstance(v, Fraction) else str(v)
        if len(exact) <= 12:
            return exact
        try:
            v = float(v)
        except OverflowError:  # an exact value beyond the float range, to 6 digits as a float would be
            return format(_SIX.create_decimal(round(v)).normalize(_SIX), "g").replace("E", "e")
    text = f"{v:.6g}"
    return "0" if text == "-0" else text


def _table(*columns: str) -> Grid:
    return Grid(columns)


def _noted(table: Grid, notes: list[str]) -> list:
    """The table, then a line for what it leaves out."""
    return [table, Text(f"({'; '.join(notes)}: see --format json)", style="dim")] if notes else [table]


def _more(shown: int, total: int, things: str) -> list[str]:
    return [f"{total - shown} more {things}"] if total > shown else []


def _examples(study: Study) -> list:
    """One example on a line; several as a matrix, one column per example."""
    ex = study.examples
    if ex.count == 1:
        return [Text(f"x = [{', '.join(map(number, ex.inputs[0]))}]    t = [{', '.join(map(number, ex.targets[0]))}]")]
    shown = min(ex.count, COLUMNS)
    table = _table("", *(f"e{e}" for e in range(shown)))
    for kind, rows in (("x", ex.inputs), ("t", ex.targets)):
        for k in range(len(rows[0])):
            table.add_row(f"{kind}{k}", *(number(rows[e][k]) for e in range(shown)))
    return [
        Text("Examples: inputs x and targets t, one column per example"),
        *_noted(table, _more(shown, ex.count, "examples")),
    ]


def _mark(agreements: Sequence[Agreement], g: Glyphs) -> str:
    """The check cell: a tick, or a cross with the node route's value where the routes part."""
    for a in agreements:
        if not a.ok:
            return f"{g.bad} {a.name}: node route {number(a.node)}"
    return g.ok


def _units(study: Study, layer: int, values: Layer, by_unit: dict, g: Glyphs) -> list:
    """z, a and delta: column vectors side by side for one example; for several, each a matrix with
    one column per example (and the targets below the output layer's)."""
    net, count, d = study.network, study.examples.count, g.partial
    delta = f"{g.delta} = {d}L/{d}z"
    last = layer == net.depth
    units = min(net.sizes[layer], ROWS)
    notes = _more(units, net.sizes[layer], "units")
    targets = [[study.examples.targets[e][j] for e in range(count)] for j in range(net.sizes[-1])]
    if count == 1:
        table = _table("j", "z", "a", *(["t"] if last else []), delta, "check")
        for j in range(units):
            cells = [
                number(values.z[j][0]),
                number(values.a[j][0]),
                *([number(targets[j][0])] if last else []),
                number(values.delta[j][0]),
            ]
            table.add_row(str(j), *cells, _mark(_of(by_unit[layer, j], "z", "a", "delta"), g))
        return _noted(table, notes)
    shown = min(count, COLUMNS)
    table = _table("", "j", *(f"e{e}" for e in range(shown)), "check")
    blocks = [("z", values.z, "z"), ("a", values.a, "a")] + ([("t", targets, "")] if last else [])
    blocks.append((g.delta, values.delta, "delta"))
    for label, matrix, quantity in blocks:
        for j in range(units):
            mark = _mark(_of(by_unit[layer, j], quantity), g) if quantity else ""
            table.add_row(label if j == 0 else "", str(j), *(number(v) for v in matrix[j][:shown]), mark)
        table.add_section()
    return _noted(table, notes + _more(shown, count, "examples"))


def _of(agreements: list[Agreement], *quantities: str) -> list[Agreement]:
    return [a for a in agreements if a.quantity in quantities]


def parameters(net: Network, layer: int, when: str) -> list:
    """[W | b]: one row per unit j, one column per unit k before it, then the bias."""
    w, b = net.weights[layer - 1], net.biases[layer - 1]
    inputs, units = min(len(w[0]), COLUMNS), min(len(w), ROWS)
    table = _table("j", *(f"k={k}" for k in range(inputs)), "b")
    for j in range(units):
        table.add_row(str(j), *(number(v) for v in w[j][:inputs]), number(b[j]))
    return [
        Text(f"W{layer} and b{layer}{when}"),
        *_noted(table, _more(units, len(w), "units") + _more(inputs, len(w[0]), "inputs")),
    ]


def _gradients(study: Study, layer: int, values: Layer, by_unit: dict, g: Glyphs) -> list:
    """dL/dW = delta (a^(l-1))^T and dL/db = delta summed over the examples."""
    net, d = study.network, g.partial
    inputs, units = min(net.sizes[layer - 1], COLUMNS), min(net.sizes[layer], ROWS)
    before = "x" if layer == 1 else f"a{layer - 1}"
    table = _table("j", *(f"k={k}" for k in range(inputs)), f"{d}L/{d}b", "check")
    for j in range(units):
        mark = _mark(_of(by_unit[layer, j], "dW", "db"), g)
        table.add_row(str(j), *(number(v) for v in values.dW[j][:inputs]), number(values.db[j]), mark)
    sums = " summed over the examples" if study.examples.count > 1 else ""
    return [
        Text(f"{d}L/{d}W{layer} = {g.delta}{layer} {before}^T and {d}L/{d}b{layer} = {g.delta}{layer}{sums}"),
        *_noted(table, _more(units, net.sizes[layer], "units") + _more(inputs, net.sizes[layer - 1], "inputs")),
    ]


def _descent(descent: Descent, count: int, g: Glyphs) -> list:
    losses = descent.losses
    steps = len(losses) - 1
    parts: list = [
        Text(
            f"\nGradient descent: {steps} steps of lr {descent.lr:g} on {count} example{'s' * (count != 1)} (floats)",
            style="bold",
        )
    ]
    table = _table("step", "L")
    picked = (
        sorted({round(i * steps / (STEP_ROWS - 1)) for i in range(STEP_ROWS)})
        if steps >= STEP_ROWS
        else range(steps + 1)
    )
    for step in picked:
        table.add_row(str(step), number(losses[step]))
    parts.extend(_noted(table, [f"{len(picked)} of {steps + 1} steps listed"] if len(picked) <= steps else []))
    parts.append(Text(f"loss curve: {curve(losses, g)}  {number(losses[0])} -> {number(losses[-1])}"))
    for layer in range(1, descent.network.depth + 1):
        parts.extend(parameters(descent.network, layer, f" after {steps} steps"))
    return parts


def curve(losses: tuple[float, ...], g: Glyphs) -> str:
    """The loss per step as a sparkline, at most CURVE characters: each the loss at an evenly
    spaced step, its height between the smallest and largest loss."""
    width = min(len(losses), CURVE)
    picked = [losses[round(i * (len(losses) - 1) / max(width - 1, 1))] for i in range(width)]
    lo, hi = min(losses), max(losses)
    top = len(g.levels) - 1
    return "".join(g.levels[round((v - lo) / (hi - lo) * top) if hi > lo else 0] for v in picked)
