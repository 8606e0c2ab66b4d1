"""Another engine's objects in the caller's own process, read by attribute access alone: micrograd
(`_prev`, a set, and `_op`), microgpt (`_children` and `_local_grads`), or attributes an Adapter names.

The walk is iterative (a graph may be 10^5 nodes deep) and keeps every object it reads alive until
it is done, so no id() is reused while it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, repeat

from ..errors import InputError
from ..ops import Number
from .build import Builder
from .nodes import Columns, Nodes, finite, value

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
    """Every node the root reaches, arguments before the gates that use them, read into columns."""
    adapter = adapter or detect(root)
    reader = _Reader(adapter)
    objs, args = _postorder(root, adapter, reader.ordered)
    builder = Builder(lambda line: None, tol)
    builder.distinct = adapter.distinct
    builder.quick = True
    return builder.build(reader.columns(objs, args))


def _postorder(root: object, adapter: Adapter, ordered: Callable[[tuple], tuple]) -> tuple[list, list]:
    """The objects in post-order (arguments first, in argument order) and each one's argument positions.

    A node is opened (its children pushed above it, -1 in the index) and finished when it comes back
    up; a child still open is one of its own ancestors: a cycle. The list of objects keeps every one
    read alive until the walk ends, so no id() is reused while it runs.
    """
    objs: list[object] = []
    args: list[tuple[int, ...]] = []
    index: dict[int, int] = {}
    attribute, distinct = adapter.children, adapter.distinct
    stack: list[tuple[object, tuple | list | None]] = [(root, None)]
    pop, push, get = stack.pop, stack.append, index.get
    while stack:
        obj, kids = pop()
        if kids is None:
            key = id(obj)
            if key in index:  # finished already, through another of its consumers
                continue
            if len(index) >= MAX_NODES:
                raise InputError(f"the graph has more than {MAX_NODES} nodes, the limit")
            raw = getattr(obj, attribute, None)
            try:
                kids = () if raw is None else tuple(raw)
            except TypeError:
                raise InputError(f"`{attribute}` of a {type(obj).__name__} is not a collection") from None
            if not kids:
                index[key] = len(objs)
                objs.append(obj)
                args.append(())
                continue
            if distinct and len(kids) > 1:  # a set's order changes from run to run: order by value
                kids = ordered(kids)
            index[key] = -1
            push((obj, kids))
            for kid in reversed(kids):
                at = get(id(kid))
                if at is None:
                    push((kid, None))
                elif at < 0:
                    raise InputError("the graph has a cycle: a node is among its own inputs")
        else:
            index[id(obj)] = len(objs)
            objs.append(obj)
            if len(kids) == 2:  # the common gate, without a comprehension's frame
                args.append((index[id(kids[0])], index[id(kids[1])]))
            else:
                args.append(tuple([index[id(c)] for c in kids]))
    return objs, args


class _Reader:
    """Attribute reads for one adapter: each node's children while walking, then every other
    attribute a column at a time, checked whole and node by node only where something is off."""

    def __init__(self, adapter: Adapter) -> None:
        self.a = adapter

    def ordered(self, kids: tuple) -> tuple:
        """A set's children in an order that is the same on every run: by value, then the rest of
        _sort_key where values tie."""
        if len(kids) == 2:
            first, second = getattr(kids[0], self.a.data, None), getattr(kids[1], self.a.data, None)
            if type(first) is not float:
                first = self._number(first)
            if type(second) is not float:
                second = self._number(second)
            if first != second:  # the common case: the values alone decide
                return kids if first < second else (kids[1], kids[0])
            return kids if self._sort_key(kids[0]) <= self._sort_key(kids[1]) else (kids[1], kids[0])
        return tuple(sorted(kids, key=self._sort_key))

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

    def columns(self, objs: list[object], args: list[tuple[int, ...]]) -> Columns:
        a = self.a
        labels = self._optional(objs, a.label)
        if labels.count(None) != len(labels):  # a label is a non-empty string, else none
            labels = [v if type(v) is str and v else None for v in labels]
        texts = self._optional(objs, a.op)
        if not set(map(type, texts)) <= {str, type(None)}:
            texts = [v if type(v) is str else None for v in texts]
        data = _read(objs, a.data)
        if set(map(type, data)) != {float} or not _finite_sum(data):
            data = [
                v if type(v) is float and v - v == 0 else self._data(v, labels[k] or k, objs[k])
                for k, v in enumerate(data)
            ]
        grads = _read(objs, a.grad)
        if not set(map(type, grads)) <= _GRAD_TYPES or not _finite_sum([g for g in grads if g is not None]):
            grads = [
                v if type(v) is float and v - v == 0 else self._grad(v, labels[k] or k, objs[k])
                for k, v in enumerate(grads)
            ]
        local = self._all_locals(objs, args, labels) if a.local_grads else None
        return Columns(labels, texts, args, data, grads, local)

    def _all_locals(self, objs: list[object], args: list[tuple[int, ...]], labels: list[str | None]) -> list:
        """The stored local gradients of every gate (leaves have none to judge): tuples of numbers."""
        raws = _read(objs, self.a.local_grads or "")
        local = [raw if args[k] else None for k, raw in enumerate(raws)]
        given = [raw for raw in local if raw is not None]
        if set(map(type, given)) <= {tuple} and set(map(type, chain.from_iterable(given))) <= {float, int}:
            return local
        return [self._locals(o, labels[k] or str(k)) if args[k] else None for k, o in enumerate(objs)]

    def _optional(self, objs: list[object], attribute: str | None) -> list:
        """An attribute that may be absent: None for every node of a class that cannot carry it (a class
        with __slots__ and no such slot: asking each of 10^5 objects would raise each time)."""
        if not attribute:
            return [None] * len(objs)
        classes = set(map(type, objs))
        if all(not _may(cls, attribute) for cls in classes):
            return [None] * len(objs)
        return list(map(getattr, objs, repeat(attribute), repeat(None)))

    def _data(self, v: object, name: object, obj: object) -> float:
        data = value(v)
        if data is None:
            raise InputError(f"node {name}: `{self.a.data}` is not a finite number: {_shown(obj, self.a.data)}")
        return data

    def _grad(self, v: object, name: object, obj: object) -> Number | None:
        if v is None:
            return v
        grad = finite(v)
        if grad is None:
            raise InputError(f"node {name}: `{self.a.grad}` is not a finite number: {_shown(obj, self.a.grad)}")
        return grad

    def _locals(self, obj: object, name: str) -> tuple | None:
        attribute = self.a.local_grads
        raw = getattr(obj, attribute, None) if attribute else None
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


_GRAD_TYPES = {float, int, type(None)}


def _read(objs: list[object], attribute: str) -> list:
    """One attribute of every object (None where one lacks it), at C speed."""
    return list(map(getattr, objs, repeat(attribute), repeat(None)))


def _finite_sum(numbers: list) -> bool:
    """Whether ints and floats are all finite: their sum is, unless one is inf or nan (or it overflows,
    which sends them to the checks one by one as well)."""
    try:
        total = sum(numbers)
    except OverflowError:
        return False
    return total - total == 0


def _may(cls: type, attribute: str) -> bool:
    """Whether objects of this class may carry the attribute: any with a __dict__, else one with the slot."""
    return "__dict__" in dir(cls) or hasattr(cls, attribute)


def _shown(obj: object, attribute: str) -> str:
    return ascii(getattr(obj, attribute, None))[:40]
