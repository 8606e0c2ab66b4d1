"""Another engine's graph rebuilt with the op table's rows: columns in topological order (every
argument is an earlier node), whatever order the engine listed or linked its nodes in.

The dump reader and the object walker both feed a Builder, node by node, arguments first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import InputError, Location
from ..graph import CONST, INPUT
from ..ops import Number, Op
from .resolve import Resolved, inferred, named, operands

LEAF_OPS = ("", INPUT, CONST)
MAX_ARGS = 10_000  # arguments of one node (max over many values is the widest real op)


def close(a: Number, b: Number, scale: float = 0.0, tol: float = 1e-9) -> bool:
    """Equal up to tol relative to the larger side or to the scale of the terms a sum was made from."""
    if a == b:
        return True
    try:
        return abs(a - b) <= tol * max(abs(a), abs(b), scale)
    except OverflowError:
        return False


@dataclass
class Nodes:
    """The rebuilt graph. ops[i] is None for a leaf; `shown` is False for a constant operand the engine
    kept inside the op (micrograd's `**2`), which has no gradient of its own to judge."""

    names: list[str] = field(default_factory=list)
    op_text: list[str] = field(default_factory=list)  # as the engine wrote it, or the inferred row's name
    ops: list[Resolved | None] = field(default_factory=list)
    args: list[tuple[int, ...]] = field(default_factory=list)
    data: list[Number] = field(default_factory=list)
    grads: list[Number | None] = field(default_factory=list)
    locals: list[tuple[Number, ...] | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    shown: list[bool] = field(default_factory=list)
    inferred: list[bool] = field(default_factory=list)

    @property
    def root(self) -> int:
        return len(self.names) - 1

    def op(self, i: int) -> Op | None:
        r = self.ops[i]
        return None if r is None else r.op


class Builder:
    """Appends nodes whose arguments are already in; resolves each op against the op table."""

    def __init__(self, where: Callable[[int], Location | None], tol: float = 1e-9) -> None:
        self.nodes = Nodes()
        self.where = where
        self.tol = tol

    def fail(self, message: str, line: int) -> InputError:
        return InputError(message, self.where(line))

    def add(
        self,
        name: str,
        op_text: str | None,
        children: list[int],
        data: Number,
        grad: Number | None,
        local: tuple[Number, ...] | None = None,
        line: int = 0,
        constant: Number | None = None,
        distinct: bool = False,
    ) -> int:
        if len(children) > MAX_ARGS:
            raise self.fail(f"node {name} has {len(children)} arguments, more than the limit of {MAX_ARGS}", line)
        if local is not None and len(local) != len(children):
            raise self.fail(f"node {name} has {len(children)} arguments but {len(local)} local gradients", line)
        if not children:
            if op_text not in (None, *LEAF_OPS) or constant is not None:
                raise self.fail(f"node {name} has op {op_text!a} but no arguments", line)
            return self._append(name, op_text or "", None, (), data, grad, None, line)
        resolved = self._resolve(name, op_text, children, data, local, line, constant, distinct)
        args = tuple(children)
        if resolved is not None and resolved.repeat:
            args = args + args
        elif resolved is not None and resolved.constant is not None:
            args = (*args, self._append(f"{name}.constant", "", None, (), resolved.constant, None, None, line))
            self.nodes.shown[-1] = False
        text = op_text if op_text else (resolved.op.name if resolved is not None else "?")
        i = self._append(name, text, resolved, args, data, grad, local, line)
        self.nodes.inferred[i] = not op_text and resolved is not None
        return i

    def _resolve(self, name, op_text, children, data, local, line, constant, distinct) -> Resolved | None:
        xs = tuple(self.nodes.data[c] for c in children)

        def same(a: Number, b: Number) -> bool:
            return close(a, b, tol=self.tol)

        if not op_text:
            found = inferred(xs, data, local, same)
            if found is None and local is None:
                raise self.fail(
                    f"node {name} names no op, and no op-table row gives its value {data!r} from its arguments; "
                    "give `op` (or `local_grads`)",
                    line,
                )
            return found
        rows = named(op_text, len(children), constant, distinct)
        if not rows:
            if local is not None:
                return None  # an op of the engine's own: its local gradients are taken as given
            raise self.fail(_unknown(name, op_text, len(children)), line)
        for r in rows:
            try:
                if same(r.op.forward(*operands(r, xs)), data):
                    return r
            except (ArithmeticError, ValueError):
                continue
        return rows[0]

    def _append(self, name, text, resolved, args, data, grad, local, line) -> int:
        n = self.nodes
        n.names.append(name)
        n.op_text.append(text)
        n.ops.append(resolved)
        n.args.append(args)
        n.data.append(data)
        n.grads.append(grad)
        n.locals.append(local)
        n.lines.append(line)
        n.shown.append(True)
        n.inferred.append(False)
        return len(n.names) - 1


def _unknown(name: str, op_text: str, count: int) -> str:
    if named(op_text, count + 1, None):
        return (
            f"node {name} has op {op_text!a} with {count} argument{'s' if count != 1 else ''}, one too few: give "
            f"the last as `constant` (or `exponent`), or write it into the op, as in '**2'"
        )
    return (
        f"node {name} has op {op_text!a}, which is no op of the table with {count} argument{'s' if count != 1 else ''}"
    )


def finite(v: object) -> Number | None:
    """An engine's number as int or float, or None when it is not a finite real number."""
    if type(v) is int or type(v) is float:
        return v if v - v == 0 else None
    if isinstance(v, bool):
        return int(v)
    try:
        f = float(v)  # numpy scalars, Fractions, Decimals
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None
