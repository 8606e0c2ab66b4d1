"""Another engine's graph rebuilt with the op table's rows, whatever order the engine listed or
linked its nodes in: the dump reader and the object walker both read a graph into Columns, arguments
first, and a Builder resolves every node's op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InputError, Location
from ..graph import CONST, INPUT
from ..ops import Number
from .nodes import MAX_ARGS, UNKNOWN, Columns, Nodes, close
from .resolve import Resolved, inferred, named, operands

LEAF_OPS = ("", INPUT, CONST)
RECENT = 4  # rows found from values that are tried first for the next node


class Builder:
    """Resolves each node's op against the op table, in order (a row found from values is tried first
    on the nodes after it), over columns read whole."""

    def __init__(self, where: Callable[[int], Location | None], tol: float = 1e-9) -> None:
        self.nodes = Nodes()
        self.where = where
        self.tol = tol
        self.rows: dict[tuple, list[Resolved]] = {}  # op text and child count -> the rows it may mean
        self.plain: dict[tuple[str, int], Resolved] = {}  # ... where that is one row, taken as it is
        self.distinct = False  # the engine keeps each child once (micrograd's sets)
        self.quick = False  # a recent row without a kink that gives a node's value and locals is taken as found
        self.agreed = False  # the last node's op was found from values and locals that all agree with it
        self.recent: dict[int, list[Resolved]] = {}  # per child count, rows found from values lately

    def fail(self, message: str, line: int) -> InputError:
        return InputError(message, self.where(line))

    def build(self, c: Columns) -> Nodes:
        """Every node resolved in creation order; the common ones (an op named by one row, or found by
        a recent row from values and locals alike) without a call each."""
        n = self.nodes
        n.labels, n.args, n.data, n.grads = c.labels, c.args, c.data, c.grads
        if c.lines is not None:
            n.line_of = {k: line for k, line in enumerate(c.lines) if line}
        ops, op_text, stored, plain = n.ops, n.op_text, n.stored, self.plain
        local, constants = c.local, c.constants
        for k, children in enumerate(c.args):
            text = c.texts[k]
            loc = None if local is None else local[k]
            if constants is None or constants[k] is None:
                if not children:
                    if text is None or text in LEAF_OPS:
                        ops.append(None)
                        op_text.append(text or "")
                        continue
                elif text:
                    found = plain.get((text, len(children)))
                    if found is not None and (loc is None or len(loc) == len(children)):
                        ops.append(found)
                        op_text.append(text)
                        if loc is not None:
                            stored[k] = loc
                        continue
                elif self.quick and text is None and loc is not None and self._recent(k, children, loc):
                    continue
            self._add(k, c)
        return n

    def _recent(self, k: int, children: tuple[int, ...], loc: tuple) -> bool:
        """microgpt's common node: a row found for an earlier node, without a kink, gives this one's
        value and local gradients too (resolve.fits, written out: this is the walk's hot path)."""
        recent = self.recent.get(len(children))
        if not recent or len(loc) != len(children):
            return False
        n, tol = self.nodes, self.tol
        values = n.data
        xs = (values[children[0]], values[children[1]]) if len(children) == 2 else tuple([values[a] for a in children])
        y: Any = values[k]  # a Number: abs() of one is a Number, which the type checker cannot tell
        for r in recent:
            op = r.op
            if op.kink is not None:
                continue
            try:
                v: Any = op.forward(*xs)
                if v != y and abs(v - y) > tol * max(abs(v), abs(y)):
                    continue
                rule = op.partials(xs, y)
            except (ArithmeticError, ValueError, TypeError):
                continue
            if rule == loc or all(
                a == b or abs(a - b) <= tol * max(abs(a), abs(b)) for a, b in zip(rule, loc, strict=False)
            ):
                n.ops.append(r)
                n.op_text.append(op.name)
                n.stored[k] = loc
                n.inferred.add(k)
                n.agreed.add(k)
                return True
        return False

    def _add(self, k: int, c: Columns) -> None:
        """Resolve node k (its arguments are in already), or say why it cannot be judged."""
        children, label, op_text = c.args[k], c.labels[k], c.texts[k]
        local = None if c.local is None else c.local[k]
        constant = None if c.constants is None else c.constants[k]
        line = 0 if c.lines is None else c.lines[k]
        n = self.nodes
        if not children:
            if op_text not in (None, *LEAF_OPS) or constant is not None:
                raise self.fail(f"node {self._name(label)} has op {op_text!a} but no arguments", line)
            n.ops.append(None)
            n.op_text.append(op_text or "")
            return
        if len(children) > MAX_ARGS:
            count = len(children)
            raise self.fail(f"node {self._name(label)} has {count} arguments, more than the limit of {MAX_ARGS}", line)
        if local is not None and len(local) != len(children):
            counts = f"{len(children)} arguments but {len(local)} local gradients"
            raise self.fail(f"node {self._name(label)} has {counts}", line)
        self.agreed = False
        resolved = self._resolve(label, op_text, children, c.data[k], local, line, constant)
        if resolved is not None and resolved.repeat:
            n.args[k] = children + children
        n.ops.append(resolved)
        n.op_text.append(op_text if op_text else (resolved.op.name if resolved is not None else UNKNOWN))
        if local is not None:
            n.stored[k] = local
        if not op_text and resolved is not None:
            n.inferred.add(k)
            if self.agreed:
                n.agreed.add(k)

    def _name(self, label: str | None) -> str:
        return label if label is not None else f"#{len(self.nodes.ops)}"

    def _resolve(self, label, op_text, children, data, local, line, constant) -> Resolved | None:
        rows: list[Resolved] = []
        if op_text:
            key = (op_text, len(children), constant, self.distinct)
            known = self.rows.get(key)
            if known is None:
                known = self.rows[key] = named(op_text, len(children), constant, self.distinct)
            rows = known
            if len(rows) == 1:
                if constant is None and not rows[0].repeat and rows[0].constant is None:
                    self.plain[op_text, len(children)] = rows[0]
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


def _unknown(name: str, op_text: str, count: int) -> str:
    if named(op_text, count + 1, None):
        return (
            f"node {name} has op {op_text!a} with {count} argument{'s' if count != 1 else ''}, one too few: give "
            f"the last as `constant` (or `exponent`), or write it into the op, as in '**2'"
        )
    return (
        f"node {name} has op {op_text!a}, which is no op of the table with {count} argument{'s' if count != 1 else ''}"
    )
