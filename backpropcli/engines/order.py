"""A dump's checked records put in order: the root found (marked, or the one record no other uses),
each argument before its users, and the graph rebuilt from them; a fault named at its record's line.
"""

from __future__ import annotations

from ..errors import InputError, Source
from ..ops import Number
from .build import Builder
from .nodes import Columns, Nodes


class Record:
    """One record of a dump, checked: its fields, its line and where it starts."""

    __slots__ = ("args", "constant", "data", "grad", "id", "label", "line", "local", "offset", "op", "root")
    args: list[str]
    constant: Number | None
    data: float
    grad: Number | None
    id: str
    label: str | None
    line: int
    local: tuple[Number, ...] | None
    offset: int
    op: str | None
    root: bool


def rebuild(records: list[Record], source: Source, tol: float) -> Nodes:
    by_id: dict[str, Record] = {}
    for r in records:
        first = by_id.setdefault(r.id, r)
        if first is not r:
            raise _at(source, r, f"duplicate id {r.id!a}: line {first.line} has it too")
    root = _root(records, by_id, source)
    order = records if _in_order(records, root) else _postorder(root, by_id, source)
    starts = {r.line: r.offset for r in order}
    builder = Builder(lambda line: source.locate(starts[line]) if line in starts else None, tol)
    index = {r.id: k for k, r in enumerate(order)}
    local = [r.local for r in order]
    constants = [r.constant for r in order]
    return builder.build(
        Columns(
            [r.label or r.id for r in order],
            [r.op for r in order],
            [tuple([index[a] for a in r.args]) for r in order],
            [r.data for r in order],
            [r.grad for r in order],
            local if any(v is not None for v in local) else None,
            constants if any(v is not None for v in constants) else None,
            [r.line for r in order],
        )
    )


def _root(records: list[Record], by_id: dict[str, Record], source: Source) -> Record:
    marked = [r for r in records if r.root]
    if len(marked) > 1:
        raise _at(source, marked[1], f"a second root: line {marked[0].line} is marked root too")
    if marked:
        return marked[0]
    used = set()
    for r in records:
        for a in r.args:
            if a not in by_id:
                raise _at(source, r, f"argument {a!a} is not the id of any record")
            used.add(a)
    tops = [r for r in records if r.id not in used]
    if len(tops) == 1:
        return tops[0]
    if not tops:
        raise _at(source, records[0], "every node is an argument of another: the graph has a cycle")
    lines = ", ".join(str(r.line) for r in tops[:5])
    raise _at(
        source, tops[1], f'{len(tops)} nodes are no node\'s argument (lines {lines}): mark the root with "root": true'
    )


def _in_order(records: list[Record], root: Record) -> bool:
    """Whether the file lists the root's graph already in order, as `backpropcli.export` writes it:
    every argument before its use, the root last, and every other record some record's argument."""
    if records[-1] is not root:
        return False
    seen: set[str] = set()
    for r in records:
        for a in r.args:
            if a not in seen:
                return False
        seen.add(r.id)
    used = {a for r in records for a in r.args}
    return len(used) == len(records) - 1


def _postorder(root: Record, by_id: dict[str, Record], source: Source) -> list[Record]:
    """Records the root reaches, arguments first, iteratively; an argument still open is a cycle."""
    order: list[Record] = []
    state: dict[str, int] = {}
    stack: list[tuple[Record, bool]] = [(root, False)]
    while stack:
        r, done = stack.pop()
        if done:
            state[r.id] = 2
            order.append(r)
            continue
        if r.id in state:
            continue
        state[r.id] = 1
        stack.append((r, True))
        for a in reversed(r.args):
            arg = by_id.get(a)
            if arg is None:
                raise _at(source, r, f"argument {a!a} is not the id of any record")
            mark = state.get(a)
            if mark == 1:
                raise _at(source, r, f"a cycle: {r.id!a} depends on {a!a}, which depends on it")
            if mark is None:
                stack.append((arg, False))
    return order


def _at(source: Source, r: Record, message: str) -> InputError:
    return InputError(message, source.locate(r.offset))
