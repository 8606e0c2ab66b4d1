"""Another engine's objects in the caller's own process, read by attribute access alone: micrograd
(`_prev`, a set, and `_op`), microgpt (`_children` and `_local_grads`), or attributes an Adapter names.

The walk is iterative (a graph may be 10^5 nodes deep) and keeps every object it reads alive until
it is done, so no id() is reused while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ..ops import Number
from .build import Builder, Nodes, finite, value
from .resolve import fits

MAX_NODES = 10_000_000


@dataclass(frozen=True)
class Adapter:
    """Which attributes hold a node's parts. `distinct`: the children hold each object once, so an
    op's number of uses comes from its op string (micrograd's `a + a` has one child)."""

    children: str
    data: str = "data"
    grad: str = "grad"
    op: str | None = None
    local_grads: str | None = None
    label: str | None = None
    distinct: bool = False


MICROGRAD = Adapter("_prev", op="_op", label="label", distinct=True)
MICROGPT = Adapter("_children", local_grads="_local_grads", op="_op", label="label")


def detect(root: object) -> Adapter:
    """microgpt's protocol if the root has `_children`, micrograd's if it has `_prev`."""
    if hasattr(root, MICROGPT.children):
        return MICROGPT
    if hasattr(root, MICROGRAD.children):
        return MICROGRAD
    raise InputError(
        f"cannot tell how to walk a {type(root).__name__}: it has neither `_children` (microgpt) nor `_prev` "
        "(micrograd); pass adapter=Adapter(children=..., ...)"
    )


def walk(root: object, adapter: Adapter | None = None, tol: float = 1e-9) -> Nodes:
    """Every node the root reaches, arguments before the gates that use them (post-order, iteratively).

    Each frame on the stack is an open object, its children and how many of them are in. A child
    that is open already is one of its own ancestors: a cycle. The frames' children lists keep every
    object read alive until the walk ends, so no id() is reused while it runs.
    """
    adapter = adapter or detect(root)
    builder = Builder(lambda line: None, tol)
    reader = _Reader(adapter, builder)
    children, add = reader.children, reader.add
    index: dict[int, int] = {id(root): -1}  # -1 while open
    stack: list[tuple[object, list[object], int]] = [(root, children(root), 0)]
    while stack:
        obj, kids, pos = stack[-1]
        while pos < len(kids):
            at = index.get(id(kids[pos]))
            if at is None:
                break
            if at < 0:
                raise InputError("the graph has a cycle: a node is among its own inputs")
            pos += 1
        if pos < len(kids):
            stack[-1] = (obj, kids, pos + 1)
            child = kids[pos]
            index[id(child)] = -1
            stack.append((child, children(child), 0))
            if len(index) > MAX_NODES:
                raise InputError(f"the graph has more than {MAX_NODES} nodes, the limit")
            continue
        stack.pop()
        index[id(obj)] = add(obj, [index[id(c)] for c in kids])
    return builder.nodes


class _Reader:
    """Attribute reads for one adapter, and the common node appended without the Builder's checks."""

    def __init__(self, adapter: Adapter, builder: Builder) -> None:
        self.a = adapter
        self.builder = builder
        builder.distinct = adapter.distinct
        self.optional: dict[type, tuple[bool, bool]] = {}  # per class: may it have a label, an op?

    def children(self, obj: object) -> list[object]:
        kids = getattr(obj, self.a.children, None)
        if kids is None:
            return []
        try:
            kids = list(kids)
        except TypeError:
            raise InputError(f"`{self.a.children}` of a {type(obj).__name__} is not a collection") from None
        if self.a.distinct and len(kids) > 1:  # a set's order changes from run to run: order by value
            if len(kids) == 2:
                first, second = getattr(kids[0], self.a.data, None), getattr(kids[1], self.a.data, None)
                if type(first) is float and type(second) is float and first != second:  # the common case
                    return kids if first < second else [kids[1], kids[0]]
                return kids if self._sort_key(kids[0]) <= self._sort_key(kids[1]) else [kids[1], kids[0]]
            kids.sort(key=self._sort_key)
        return kids

    def _sort_key(self, child: object) -> tuple[float, float, str, str, int]:
        """Value, then gradient, op, label and number of children: two children of a set alike in all
        of these read the same in every row, whichever comes first."""
        a = self.a
        op = getattr(child, a.op, None) if a.op else None
        label = getattr(child, a.label, None) if a.label else None
        kids = getattr(child, a.children, None)
        try:
            count = len(kids) if kids is not None else 0
        except TypeError:
            count = 0
        return (
            self._number(getattr(child, a.data, None)),
            self._number(getattr(child, a.grad, None)),
            op if isinstance(op, str) else "",
            label if isinstance(label, str) else "",
            count,
        )

    @staticmethod
    def _number(v: object) -> float:
        if type(v) is float or type(v) is int:
            return float(v)
        number = finite(v)
        return 0.0 if number is None else float(number)

    def _may_have(self, obj: object) -> tuple[bool, bool]:
        """Whether objects of this class can carry the optional attributes at all: a class with
        __slots__ and no such slot cannot, and asking each of 10^5 objects would raise each time."""
        cls = type(obj)
        found = self.optional.get(cls)
        if found is None:
            free = hasattr(obj, "__dict__")
            a = self.a
            found = self.optional[cls] = (_may(cls, free, a.label), _may(cls, free, a.op))
        return found

    def add(self, obj: object, args: list[int]) -> int:
        a = self.a
        nodes = self.builder.nodes
        k = len(nodes.ops)
        has = self.optional.get(type(obj))
        has_label, has_op = has if has is not None else self._may_have(obj)
        label = getattr(obj, a.label, None) if has_label and a.label else None
        if type(label) is not str or not label:
            label = None
        data = getattr(obj, a.data, None)
        if type(data) is not float or data - data != 0:
            data = value(data)
            if data is None:
                raise InputError(f"node {label or k}: `{a.data}` is not a finite number: {_shown(obj, a.data)}")
        grad = getattr(obj, a.grad, None)
        if grad is not None and (type(grad) is not float or grad - grad != 0):
            grad = finite(grad)
            if grad is None:
                raise InputError(f"node {label or k}: `{a.grad}` is not a finite number: {_shown(obj, a.grad)}")
        op = getattr(obj, a.op, None) if has_op and a.op else None
        local = self._locals(obj, a.local_grads, label or str(k)) if a.local_grads and args else None
        if local is None and type(op) is str and op:
            rows = self.builder.rows.get((op, len(args), None, a.distinct))
            if rows is not None and len(rows) == 1 and not rows[0].repeat and rows[0].constant is None:
                nodes.labels.append(label)
                nodes.op_text.append(op)
                nodes.ops.append(rows[0])
                nodes.args.append(tuple(args))
                nodes.data.append(data)
                nodes.grads.append(grad)
                return k
        elif local is not None and op is None and len(local) == len(args):
            recent = self.builder.recent.get(len(args))
            if recent:  # microgpt's common node: the op found for an earlier node fits this one too
                values = nodes.data
                xs = tuple([values[c] for c in args])
                for r in recent:
                    if r.op.kink is None and fits(r, xs, data, local, self.builder.tol):
                        nodes.labels.append(label)
                        nodes.op_text.append(r.op.name)
                        nodes.ops.append(r)
                        nodes.args.append(tuple(args))
                        nodes.data.append(data)
                        nodes.grads.append(grad)
                        nodes.stored[k] = local
                        nodes.inferred.add(k)
                        nodes.agreed.add(k)
                        return k
        return self.builder.add(label, op if type(op) is str else None, args, data, grad, local, distinct=a.distinct)

    def _locals(self, obj: object, attribute: str, name: str) -> tuple | None:
        raw = getattr(obj, attribute, None)
        if raw is None:
            return None
        try:
            numbers = tuple(raw)
        except TypeError:
            numbers = (None,)
        for v in numbers:
            if type(v) is not float and type(v) is not int:
                return tuple(self._local(v, name) for v in numbers)
        return numbers

    def _local(self, v: object, name: str) -> Number:
        number = finite(v)
        if number is None:
            raise InputError(f"node {name}: `{self.a.local_grads}` holds something that is not a finite number")
        return number


def _may(cls: type, free: bool, attribute: str | None) -> bool:
    """Whether objects of this class may carry the attribute the adapter names (none when it names none)."""
    return attribute is not None and attribute != "" and (free or hasattr(cls, attribute))


def _shown(obj: object, attribute: str) -> str:
    return ascii(getattr(obj, attribute, None))[:40]
