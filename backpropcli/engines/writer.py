"""The interchange format written from objects in the caller's process, so `backprop verify` can
judge the dump later (in CI, on another machine)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..errors import InputError
from .nodes import UNKNOWN, Nodes
from .resolve import named


def records(nodes: Nodes) -> Iterator[str]:
    """One JSON line per node, arguments before the nodes that use them, the root last and marked."""
    root = nodes.root
    unique = len(set(nodes.names)) == len(nodes.names)
    ids = list(nodes.names) if unique else [f"n{i}" for i in range(len(nodes.names))]
    for i, name in enumerate(nodes.names):
        record: dict = {"id": ids[i]}
        r = nodes.ops[i]
        args = nodes.args[i]
        if nodes.op_text[i] and nodes.op_text[i] != UNKNOWN:  # an op found from values is written by name
            record["op"] = nodes.op_text[i]
            if r is not None and r.constant is not None and not named(nodes.op_text[i], len(args), None):
                record["constant"] = r.constant  # the op text alone does not carry it
        record["args"] = [ids[a] for a in args]
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
    ops: list[str | None] = [None] * count
    constants: list = [None] * count
    for i, text in enumerate(nodes.op_text):
        r = nodes.ops[i]
        if text and text != UNKNOWN:
            ops[i] = text
            if r is not None and r.constant is not None and not named(text, len(nodes.args[i]), None):
                constants[i] = r.constant
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
