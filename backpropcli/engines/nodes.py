"""Another engine's graph as columns, in topological order (every argument an earlier node): as the
walk and the dump reader read it (Columns), and rebuilt with the op table's rows (Nodes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

from ..ops import Number, Op, magnitude
from .resolve import Resolved

UNKNOWN = "?"  # the op text of a node whose op the engine did not name and no row reproduces
MAX_ARGS = 10_000  # arguments of one node (max over many values is the widest real op)


def close(a: Number, b: Number, scale: float = 0.0, tol: float = 1e-9) -> bool:
    """Equal up to tol relative to the larger side or to the scale of the terms a sum was made from."""
    if a == b:
        return True
    try:
        return magnitude(a - b) <= tol * max(magnitude(a), magnitude(b), scale)
    except OverflowError:
        return False


@dataclass
class Nodes:
    """The rebuilt graph, as columns. ops[i] is None for a leaf. A constant operand the engine keeps
    inside its op (micrograd's `**2`) is no node: it lives in the resolved op, after the arguments."""

    op_text: list[str] = field(default_factory=list)  # as the engine wrote it, or the inferred row's name
    ops: list[Resolved | None] = field(default_factory=list)
    args: list[tuple[int, ...]] = field(default_factory=list)
    data: list[Number] = field(default_factory=list)
    grads: list[Number | None] = field(default_factory=list)
    labels: list[str | None] = field(default_factory=list)  # the engine's name for a node, if any
    stored: dict[int, tuple[Number, ...]] = field(default_factory=dict)  # local gradients the engine stored
    line_of: dict[int, int] = field(default_factory=dict)  # a dump's record lines
    inferred: set[int] = field(default_factory=set)  # nodes whose op was found from their values
    agreed: set[int] = field(default_factory=set)  # ... whose value and stored local gradients it gives

    @property
    def root(self) -> int:
        return len(self.ops) - 1

    @cached_property
    def names(self) -> list[str]:
        """Every node's name, as name() gives it."""
        return list(map(_shown, self.labels, range(len(self.labels))))

    def name(self, i: int) -> str:
        """How reports name a node: the engine's label (a character that does not print, such as a
        newline or a terminal escape, shown as '?': a label cannot forge a line of the output), else
        #index. One at a time: a report shows a few names of a large graph."""
        return _shown(self.labels[i], i)

    def long_names(self, limit: int) -> list[str]:
        """The names longer than `limit` characters (only labels can be: #index is short)."""
        return [_shown(label, i) for i, label in enumerate(self.labels) if label is not None and len(label) > limit]

    @cached_property
    def consumers(self) -> list[list[tuple[int, int]]]:
        """For each node, the (gate, argument position) pairs that read it."""
        uses: list[list[tuple[int, int]]] = [[] for _ in self.ops]
        for gate, args in enumerate(self.args):
            for pos, a in enumerate(args):
                uses[a].append((gate, pos))
        return uses

    def line(self, i: int) -> int:
        return self.line_of.get(i, 0)

    def op(self, i: int) -> Op | None:
        r = self.ops[i]
        return None if r is None else r.op


@dataclass
class Columns:
    """A graph as read, before its ops are resolved: one entry per node, every argument an earlier node.
    `local` and `constants` are None when no node has any; `lines` is None for objects."""

    labels: list[str | None]
    texts: list[str | None]  # the op as the engine wrote it (None: it names none)
    args: list[tuple[int, ...]]
    data: list[Number]
    grads: list[Number | None]
    local: list[tuple[Number, ...] | None] | None = None
    constants: list[Number | None] | None = None
    lines: list[int] | None = None


def _shown(label: str | None, i: int) -> str:
    return f"#{i}" if label is None else label if label.isprintable() else _printable(label)


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def value(v: object) -> float | None:
    """An engine's value as a float (the engines judged here compute in floats: an int leaf kept exact
    would turn the rules' partials into growing fractions), or None when it is no finite number."""
    number = finite(v)
    if number is None or type(number) is float:
        return number
    try:
        return float(number)
    except OverflowError:
        return None


def finite(v: object) -> Number | None:
    """An engine's number as int or float, or None when it is not a finite real number."""
    if type(v) is int or type(v) is float:
        return v if v - v == 0 else None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str | bytes):  # "0.5" is text, not a number an engine computed
        return None
    try:
        # numpy scalars, Fractions, Decimals; float() of anything else raising is the test
        f = float(v)  # type: ignore[arg-type]  # v is any object: float() is the probe, its TypeError caught
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None
