"""Another engine's objects in the caller's own process, read by attribute access alone: micrograd
(`_prev`, a set, and `_op`), microgpt (`_children` and `_local_grads`), or attributes an Adapter names.

The walk is iterative (a graph may be 10^5 nodes deep) and keeps every object it reads alive until
it is done, so no id() is reused while it runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from .build import Builder, Nodes, finite

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

    An object stays on the stack until its children are in; a child that is open (met again while its
    own subtree is being read) is one of its own ancestors: a cycle. The open objects' children lists
    keep every object read alive until the walk ends, so no id() is reused while it runs.
    """
    adapter = adapter or detect(root)
    builder = Builder(lambda line: None, tol)
    reader = _Reader(adapter, builder)
    children, add = reader.children, reader.add
    index: dict[int, int] = {}
    opened: dict[int, list] = {}
    stack = [root]
    pop, push = stack.pop, stack.append
    while stack:
        obj = stack[-1]
        k = id(obj)
        if k in index:
            pop()
            continue
        kids = opened.get(k)
        if kids is None:
            kids = opened[k] = children(obj)
            waiting = False
            for c in reversed(kids):
                c_id = id(c)
                if c_id not in index:
                    if c_id in opened:
                        raise InputError("the graph has a cycle: a node is among its own inputs")
                    push(c)
                    waiting = True
            if waiting:
                if len(opened) > MAX_NODES:
                    raise InputError(f"the graph has more than {MAX_NODES} nodes, the limit")
                continue
        pop()
        index[k] = add(obj, [index[id(c)] for c in kids])
    return builder.nodes


class _Reader:
    """Attribute reads for one adapter."""

    def __init__(self, adapter: Adapter, builder: Builder) -> None:
        self.a = adapter
        self.builder = builder
        builder.distinct = adapter.distinct

    def children(self, obj: object) -> list:
        kids = getattr(obj, self.a.children, None)
        if kids is None:
            return []
        try:
            kids = list(kids)
        except TypeError:
            raise InputError(f"`{self.a.children}` of a {type(obj).__name__} is not a collection") from None
        if self.a.distinct and len(kids) > 1:  # a set's order changes from run to run: order by value
            if len(kids) == 2:
                first, second = self._sort_key(kids[0]), self._sort_key(kids[1])
                return kids if first <= second else [kids[1], kids[0]]
            kids.sort(key=self._sort_key)
        return kids

    def _sort_key(self, child: object) -> float:
        v = getattr(child, self.a.data, None)
        if type(v) is float or type(v) is int:
            return v
        number = finite(v)
        return 0.0 if number is None else float(number)

    def add(self, obj: object, args: list[int]) -> int:
        a = self.a
        k = len(self.builder.nodes.ops)
        label = getattr(obj, a.label, None) if a.label else None
        if type(label) is not str or not label:
            label = None
        data = getattr(obj, a.data, None)
        if type(data) is not float or data - data != 0:
            data = finite(data)
            if data is None:
                raise InputError(f"node {label or k}: `{a.data}` is not a finite number: {_shown(obj, a.data)}")
        grad = getattr(obj, a.grad, None)
        if grad is not None and (type(grad) is not float or grad - grad != 0):
            grad = finite(grad)
            if grad is None:
                raise InputError(f"node {label or k}: `{a.grad}` is not a finite number: {_shown(obj, a.grad)}")
        op = getattr(obj, a.op, None) if a.op else None
        local = self._locals(obj, label or str(k)) if a.local_grads and args else None
        if local is None and type(op) is str and op:
            return self.builder.gate(label, op, args, data, grad)
        return self.builder.add(label, op if type(op) is str else None, args, data, grad, local, distinct=a.distinct)

    def _locals(self, obj: object, name: str) -> tuple | None:
        raw = getattr(obj, self.a.local_grads, None)
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

    def _local(self, v: object, name: str):
        number = finite(v)
        if number is None:
            raise InputError(f"node {name}: `{self.a.local_grads}` holds something that is not a finite number")
        return number


def _shown(obj: object, attribute: str) -> str:
    return ascii(getattr(obj, attribute, None))[:40]
