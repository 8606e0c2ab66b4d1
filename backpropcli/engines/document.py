"""The interchange format's columnar form: one JSON document of parallel arrays, node k at position k.

`{"columns": {"op": [...], "args": [[...], ...], "data": [...], "grad": [...], ...}}`: the same fields
as a record, one array each, every argument the position of an earlier node and the root the last
node. A 10^5-node dump parses in a third of the time of its records (numbers in arrays, no key per
node) and needs no id lookups, which is what makes a large dump quick to verify. A document this
reading does not take as it is goes through the record reader node by node, so each fault names its
node and field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import chain
from operator import lt

from ..errors import InputError, LimitError, Source
from .columns import MAX_TEXT, Irregular, fields, locals_of, numbers, owners
from .nodes import MAX_ARGS, Columns

COLUMNS = ("op", "args", "data", "grad", "label", "local_grads", "constant")
KEY = "columns"


def decoded(text: str, decoder: json.JSONDecoder) -> dict | None:
    """The document, where the text is the columnar form; None for records (JSON Lines or an array)."""
    if text.lstrip()[:1] != "{" or f'"{KEY}"' not in text[:4096]:
        return None
    try:
        doc = decoder.decode(text)
    except (ValueError, RecursionError):  # JSON Lines (text after the first record), or not JSON
        return None
    return doc if isinstance(doc, dict) and KEY in doc else None


def columns(doc: dict, source: Source, limit: int) -> tuple[Columns | None, list[dict]]:
    """The graph's columns, or None and the nodes as records for the record reader to judge."""
    fail = _fail(source)
    extra = sorted(set(doc) - {KEY})
    if extra:
        raise fail(f"unknown field {extra[0]!a} beside {KEY!a}")
    cols = doc[KEY]
    if not isinstance(cols, dict):
        raise fail(f"{KEY!a} must be an object of arrays, one per field")
    unknown = sorted(set(cols) - set(COLUMNS))
    if unknown:
        raise fail(f"unknown column {unknown[0]!a} (columns: {', '.join(COLUMNS)})")
    data = cols.get("data")
    if not isinstance(data, list):
        raise fail("the column 'data' is required: an array of the engine's values, one per node")
    if not data:
        raise fail("the graph has no nodes")
    if len(data) > limit:
        raise LimitError(f"more than {limit} nodes, the limit", source.locate(0))
    for name, column in cols.items():
        if not isinstance(column, list) or len(column) != len(data):
            raise fail(f"the column {name!a} must be an array of {len(data)} entries, one per node, as 'data' is")
    _positions(cols.get("args"), fail)
    try:
        return _bulk(cols, len(data)), []
    except Irregular:
        return None, _records(cols, len(data))


def _fail(source: Source) -> Callable[[str], InputError]:
    return lambda message: InputError(message, source.locate(0))


def _positions(args: list | None, fail: Callable[[str], InputError]) -> None:
    """Every argument the position of an earlier node: said at the first node where it is not."""
    if args is None:
        return
    if set(map(type, args)) == {list} and max(map(len, args)) <= MAX_ARGS:  # the common case, in C
        flat = list(chain.from_iterable(args))
        if not flat or (set(map(type, flat)) == {int} and min(flat) >= 0 and all(map(lt, flat, owners(args)))):
            return
    for k, given in enumerate(args):
        if not isinstance(given, list) or len(given) > MAX_ARGS:
            raise fail(f"node {k}: `args` must be a list of at most {MAX_ARGS} positions")
        for a in given:
            if type(a) is not int or not 0 <= a < k:
                raise fail(f"node {k}: argument {a!a} is not the position of an earlier node (0 to {k - 1})")


def _bulk(cols: dict, count: int) -> Columns:
    """The common document, checked a column at a time (Irregular: the record reader decides)."""
    args: list[tuple[int, ...]] = list(map(tuple, cols["args"])) if "args" in cols else [()] * count
    if len(set(chain.from_iterable(args))) != count - 1:  # (each before its node: _positions saw to it)
        raise Irregular  # a node the root does not reach: the record reader leaves it out
    labels: list[str | None] = cols.get("label", [None] * count)
    ops: list[str | None] = cols.get("op", [None] * count)
    data, grads = cols["data"], cols.get("grad", [None] * count)
    fields(labels, ops, data, grads)
    constants = cols.get("constant")
    if constants is not None:
        numbers(constants, absent=True)
    if "" in labels:  # an empty label names no node: #k, as no label does
        labels = [label or None for label in labels]
    return Columns(labels, ops, args, data, grads, locals_of(cols.get("local_grads", [None] * count)), constants)


def _records(cols: dict, count: int) -> list[dict]:
    """The nodes as records (id `#k`, arguments by id, the last the root), for the record reader."""
    rows: list[dict] = [{"id": f"#{k}"} for k in range(count)]
    for name, column in cols.items():
        for row, v in zip(rows, column, strict=True):
            if name == "args":
                row[name] = [f"#{a}" for a in v]
            elif v is not None or name == "data":
                row[name] = v
    rows[-1]["root"] = True
    return rows


__all__ = ["COLUMNS", "MAX_TEXT", "columns", "decoded"]
