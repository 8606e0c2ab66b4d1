"""Another engine's graph rebuilt with the op table's rows: columns in topological order (every
argument is an earlier node), whatever order the engine listed or linked its nodes in.

The dump reader and the object walker both feed a Builder, node by node, arguments first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ..errors import InputError, Location
from ..graph import CONST, INPUT
from ..ops import Number, Op, magnitude
from .resolve import Resolved, inferred, named, operands

LEAF_OPS = ("", INPUT, CONST)
UNKNOWN = "?"  # the op text of a node whose op the engine did not name and no row reproduces
RECENT = 4  # rows found from values that are tried first for the next node
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
        """How reports name nodes: the engine's label (a character that does not print, such as a newline
        or a terminal escape, shown as '?': a label cannot forge a line of the output), else #index."""
        return [
            f"#{i}" if label is None else label if label.isprintable() else _printable(label)
            for i, label in enumerate(self.labels)
        ]

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


class Builder:
    """Appends nodes whose arguments are already in; resolves each op against the op table."""

    def __init__(self, where: Callable[[int], Location | None], tol: float = 1e-9) -> None:
        self.nodes = Nodes()
        self.where = where
        self.tol = tol
        self.rows: dict[tuple, list[Resolved]] = {}  # op text and child count -> the rows it may mean
        self.distinct = False  # the engine keeps each child once (micrograd's sets)
        self.agreed = False  # the last node's op was found from values and locals that all agree with it
        self.recent: dict[int, list[Resolved]] = {}  # per child count, rows found from values lately

    def fail(self, message: str, line: int) -> InputError:
        return InputError(message, self.where(line))

    def add(
        self,
        label: str | None,
        op_text: str | None,
        children: list[int],
        data: Number,
        grad: Number | None,
        local: tuple[Number, ...] | None = None,
        line: int = 0,
        constant: Number | None = None,
        distinct: bool = False,
    ) -> int:
        """Append one node (its children are in already) and return its index. `label` names it in messages."""
        if not children:
            if op_text not in (None, *LEAF_OPS) or constant is not None:
                raise self.fail(f"node {self._name(label)} has op {op_text!a} but no arguments", line)
            return self._append(label, op_text or "", None, (), data, grad, None, line)
        if len(children) > MAX_ARGS:
            count = len(children)
            raise self.fail(f"node {self._name(label)} has {count} arguments, more than the limit of {MAX_ARGS}", line)
        if local is not None and len(local) != len(children):
            counts = f"{len(children)} arguments but {len(local)} local gradients"
            raise self.fail(f"node {self._name(label)} has {counts}", line)
        self.agreed = False
        resolved = self._resolve(label, op_text, children, data, local, line, constant, distinct)
        args = tuple(children)
        if resolved is not None and resolved.repeat:
            args = args + args
        text = op_text if op_text else (resolved.op.name if resolved is not None else UNKNOWN)
        i = self._append(label, text, resolved, args, data, grad, local, line)
        if not op_text and resolved is not None:
            self.nodes.inferred.add(i)
            if self.agreed:
                self.nodes.agreed.add(i)
        return i

    def _name(self, label: str | None) -> str:
        return label if label is not None else f"#{len(self.nodes.ops)}"

    def _resolve(self, label, op_text, children, data, local, line, constant, distinct) -> Resolved | None:
        rows: list[Resolved] = []
        if op_text:
            key = (op_text, len(children), constant, distinct)
            known = self.rows.get(key)
            if known is None:
                known = self.rows[key] = named(op_text, len(children), constant, distinct)
            rows = known
            if len(rows) == 1:
                return rows[0]  # its value is judged later, with every other node's
            if not rows:
                if local is not None:
                    return None  # an op of the engine's own: its local gradients are taken as given
                raise self.fail(_unknown(self._name(label), op_text, len(children)), line)
        values = self.nodes.data
        xs = tuple([values[c] for c in children])
        if op_text:
            for r in rows:
                try:
                    if self.same(r.op.forward(*operands(r, xs)), data):
                        return r
                except (ArithmeticError, ValueError):
                    continue
            return rows[0]
        recent = self.recent.setdefault(len(xs), [])
        found, self.agreed = inferred(xs, data, local, self.tol, recent)
        self.agreed = self.agreed and found is not None and found.op.kink is None
        if found is None and local is None:
            raise self.fail(
                f"node {self._name(label)} names no op, and no op-table row gives its value {data!r} from its "
                "arguments; give `op` (or `local_grads`)",
                line,
            )
        if found is not None and found.constant is None and not any(r is found for r in recent):
            recent.insert(0, found)
            del recent[RECENT:]
        return found

    def same(self, a: Number, b: Number) -> bool:
        return close(a, b, tol=self.tol)

    def _append(self, label, text, resolved, args, data, grad, local, line) -> int:
        n = self.nodes
        i = len(n.ops)
        n.labels.append(label)
        n.op_text.append(text)
        n.ops.append(resolved)
        n.args.append(args)
        n.data.append(data)
        n.grads.append(grad)
        if local is not None:
            n.stored[i] = local
        if line:
            n.line_of[i] = line
        return i


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _unknown(name: str, op_text: str, count: int) -> str:
    if named(op_text, count + 1, None):
        return (
            f"node {name} has op {op_text!a} with {count} argument{'s' if count != 1 else ''}, one too few: give "
            f"the last as `constant` (or `exponent`), or write it into the op, as in '**2'"
        )
    return (
        f"node {name} has op {op_text!a}, which is no op of the table with {count} argument{'s' if count != 1 else ''}"
    )


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
