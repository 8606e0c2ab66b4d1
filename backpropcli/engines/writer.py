"""The interchange format written from objects in the caller's process, so `backprop verify` can
judge the dump later (in CI, on another machine)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..errors import InputError
from .nodes import UNKNOWN, Nodes
from .resolve import named


def _written_op(nodes: Nodes, i: int) -> tuple[str | None, object]:
    """The op a node is written with (an op found from values by its table name; none on a leaf), and
    its constant operand where the op's text alone does not carry it."""
    text, r = nodes.op_text[i], nodes.ops[i]
    if not text or text == UNKNOWN:
        return None, None
    if r is None or r.constant is None or named(text, len(nodes.args[i]), None):
        return text, None
    return text, r.constant


def records(nodes: Nodes) -> Iterator[str]:
    """One JSON line per node, arguments before the nodes that use them, the root last and marked."""
    root = nodes.root
    unique = len(set(nodes.names)) == len(nodes.names)
    ids = list(nodes.names) if unique else [f"n{i}" for i in range(len(nodes.names))]
    for i, name in enumerate(nodes.names):
        record: dict = {"id": ids[i]}
        op, constant = _written_op(nodes, i)
        if op is not None:
            record["op"] = op
        if constant is not None:
            record["constant"] = constant
        record["args"] = [ids[a] for a in nodes.args[i]]
        record["data"] = nodes.data[i]
        if nodes.grads[i] is not None:
            record["grad"] = nodes.grads[i]
        if i in nodes.stored:
            record["local_grads"] = list(nodes.stored[i])
        if not name.startswith("#") and not unique:
            record["label"] = name
        if i == root:
            record["root"] = True
        yield json.dumps(record, allow_nan=False) + "\n"


def document(nodes: Nodes) -> str:
    """The columnar form: one array per field, node k at position k, arguments by position, the root
    last (walk order already puts arguments first and the root last)."""
    count = len(nodes.names)
    written = [_written_op(nodes, i) for i in range(count)]
    ops: list[str | None] = [op for op, _ in written]
    constants: list = [constant for _, constant in written]
    columns: dict = {"op": ops, "args": [list(a) for a in nodes.args], "data": list(nodes.data)}
    columns["grad"] = list(nodes.grads)
    labels = [None if name == f"#{k}" else name for k, name in enumerate(nodes.names)]
    optional: dict[str, list] = {
        "label": labels,
        "local_grads": [nodes.stored.get(i) for i in range(count)],
        "constant": constants,
    }
    for name, column in optional.items():
        if any(v is not None for v in column):
            columns[name] = [list(v) if type(v) is tuple else v for v in column]
    return json.dumps({"columns": columns}, allow_nan=False, separators=(",", ":")) + "\n"


def write(nodes: Nodes, path: str) -> None:
    """JSON Lines, one record a line; a path ending in `.json` gets the columnar document instead."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            if path.endswith(".json"):
                handle.write(document(nodes))
            else:
                handle.writelines(records(nodes))
    except OSError as exc:
        raise InputError(f"cannot write {path!a}: {exc.strerror or exc}") from None
