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


def write(nodes: Nodes, path: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(records(nodes))
    except OSError as exc:
        raise InputError(f"cannot write {path!a}: {exc.strerror or exc}") from None
