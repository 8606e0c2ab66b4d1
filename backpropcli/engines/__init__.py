"""Engines stage: the gradients another autodiff engine computed, judged node by node with the op
table's rules: its values, its stored local gradients, and each grad as correct, inherited, or wrong
here and named (overwritten accumulation, stale, never reached, root not seeded).

    report = backpropcli.verify(root)             # a micrograd or microgpt Value after backward()
    report = backpropcli.verify_dump("g.jsonl")   # the same, from a dump in the interchange format
    backpropcli.export(root, "g.jsonl")           # that dump, for `backprop verify g.jsonl` later
"""

from __future__ import annotations

from ..collector import collector_paused
from .report import Bug, Report, Row
from .walk import MICROGPT, MICROGRAD, Adapter

__all__ = ["MICROGPT", "MICROGRAD", "Adapter", "Bug", "Report", "Row", "export", "verify", "verify_dump"]


def verify(root: object, adapter: Adapter | None = None, tol: float = 1e-9) -> Report:
    """Judge the grads on a graph after its backward(): micrograd's or microgpt's Value, or any objects
    an Adapter describes. Reads attributes only; never calls the engine's code."""
    from .verdicts import judge
    from .walk import walk

    with collector_paused():
        return Report(f"{type(root).__name__} graph", judge(walk(root, adapter, tol), tol))


def verify_dump(path: str, tol: float = 1e-9) -> Report:
    """Judge a dump in the interchange format (docs/verify.md); '-' reads stdin."""
    from .dump import read
    from .verdicts import judge

    with collector_paused():
        return Report("<stdin>" if path == "-" else path, judge(read(path, tol), tol))


def export(root: object, path: str, adapter: Adapter | None = None) -> None:
    """Write the graph under root, with its values and grads, as interchange JSON Lines."""
    from .walk import walk
    from .writer import write

    write(walk(root, adapter), path)
