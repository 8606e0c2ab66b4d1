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
    """Every node the root reaches, arguments before the gates that use them."""
    adapter = adapter or detect(root)
    order = _postorder(root, adapter)
    builder = Builder(lambda line: None, tol)
    index: dict[int, int] = {}
    for k, (obj, kids) in enumerate(order):
        index[id(obj)] = _add(builder, adapter, obj, kids, k, index)
    return builder.nodes


def _children(obj: object, adapter: Adapter) -> list:
    kids = getattr(obj, adapter.children, None)
    if kids is None:
        return []
    try:
        kids = list(kids)
    except TypeError:
        raise InputError(f"`{adapter.children}` of a {type(obj).__name__} is not a collection") from None
    if adapter.distinct and len(kids) > 1:
        kids.sort(key=lambda c: _sort_key(getattr(c, adapter.data, None)))  # a set's order changes by run
    return kids


def _sort_key(v: object) -> float:
    number = finite(v)
    return 0.0 if number is None else float(number)


def _postorder(root: object, adapter: Adapter) -> list:
    """(object, children) in post-order, iteratively; a child met again while its own subtree is open
    is a cycle."""
    order: list = []
    state: dict[int, int] = {}  # id -> 1 while open, 2 when emitted
    stack: list = [(root, None)]
    while stack:
        obj, kids = stack.pop()
        k = id(obj)
        if kids is not None:
            state[k] = 2
            order.append((obj, kids))
            continue
        if k in state:
            continue
        state[k] = 1
        kids = _children(obj, adapter)
        stack.append((obj, kids))
        for child in reversed(kids):
            mark = state.get(id(child))
            if mark == 1:
                raise InputError("the graph has a cycle: a node is among its own inputs")
            if mark is None:
                stack.append((child, None))
        if len(state) > MAX_NODES:
            raise InputError(f"the graph has more than {MAX_NODES} nodes, the limit")
    return order


def _add(builder: Builder, adapter: Adapter, obj: object, kids: list, k: int, index: dict[int, int]) -> int:
    label = getattr(obj, adapter.label, None) if adapter.label else None
    name = label if isinstance(label, str) and label else f"#{k}"
    data = finite(getattr(obj, adapter.data, None))
    if data is None:
        raise InputError(f"node {name}: `{adapter.data}` is not a finite number: {_shown(obj, adapter.data)}")
    raw = getattr(obj, adapter.grad, None)
    grad = None if raw is None else finite(raw)
    if raw is not None and grad is None:
        raise InputError(f"node {name}: `{adapter.grad}` is not a finite number: {_shown(obj, adapter.grad)}")
    op = getattr(obj, adapter.op, None) if adapter.op else None
    local = _locals(obj, adapter, name)
    args = [index[id(c)] for c in kids]
    return builder.add(name, op if isinstance(op, str) else None, args, data, grad, local, distinct=adapter.distinct)


def _locals(obj: object, adapter: Adapter, name: str) -> tuple | None:
    if not adapter.local_grads:
        return None
    raw = getattr(obj, adapter.local_grads, None)
    if raw is None:
        return None
    numbers = tuple(finite(v) for v in raw)
    if any(v is None for v in numbers):
        raise InputError(f"node {name}: `{adapter.local_grads}` holds something that is not a finite number")
    return numbers


def _shown(obj: object, attribute: str) -> str:
    return ascii(getattr(obj, attribute, None))[:40]
