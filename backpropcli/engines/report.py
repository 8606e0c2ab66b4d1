"""The verdicts of one graph as rows and named bugs: what every rendering of `verify` shows."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from ..ops import Number
from ..render.cells import number as _num
from .bugs import OVERWRITTEN, STALE, UNREACHED, UNSEEDED, WRONG, local_text
from .local import CORRECT, INPUT, SKIPPED
from .verdicts import INHERITED, PASSING, Verdicts

LEAF = "leaf"  # the op column of a node without arguments
WRONG_VALUE = "wrong value"
WRONG_LOCAL = "wrong local"

# The named bugs, in the order a report lists them: verdict -> what it is called.
BUGS = {
    UNSEEDED: "root not seeded: its grad is not 1",
    OVERWRITTEN: "overwritten accumulation: `=` where `+=` belongs",
    STALE: "gradients not reset between backward() calls",
    UNREACHED: "never reached: a backward rule not wired, or a node the topological sort skipped",
    WRONG_LOCAL: "wrong local gradient stored",
    WRONG: "wrong at this node: a local rule of its consumer",
    WRONG_VALUE: "wrong value in the forward pass",
}


class Row(NamedTuple):
    node: int
    name: str
    line: int  # the record's line in a dump; 0 for objects
    op: str  # as the engine wrote it, '(inferred)' after a row found from the values
    data: Number
    grad: Number | None
    true: Number | None
    verdict: str  # the grad verdict, or wrong value / wrong local when the grad itself passes
    ok: bool
    why: str
    source: str | None  # inherited: the wrong node it inherits from


class Bug(NamedTuple):
    kind: str
    title: str
    nodes: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """One graph's verdicts. `source`: the dump's path, or a description of the root object."""

    source: str
    verdicts: Verdicts

    @cached_property
    def rows(self) -> tuple[Row, ...]:
        """Every node with a verdict, from the root down: the order the backward pass visits them."""
        return tuple(self.row(i) for i in range(self.size - 1, -1, -1))

    @property
    def size(self) -> int:
        """How many nodes were judged."""
        return len(self.verdicts.nodes.ops)

    @cached_property
    def _marked(self) -> dict[int, Row]:
        """The rows of nodes not plainly correct (wrong, skipped, or with a stored local gradient to
        show), root down: all that counts and lists need, without a row for every correct node."""
        v = self.verdicts
        marked = {i for i, verdict in enumerate(v.grad) if verdict != CORRECT}
        marked.update(i for i, verdict in enumerate(v.data) if verdict != CORRECT and verdict != INPUT)
        marked.update(v.locals)
        return {i: self.row(i) for i in sorted(marked, reverse=True)}

    def failing(self) -> list[Row]:
        """The rows that fail, root down."""
        return [row for row in self._marked.values() if not row.ok]

    def passing(self, count: int) -> list[Row]:
        """The first `count` rows that pass, root down."""
        found: list[Row] = []
        marked = self._marked
        for i in range(self.size - 1, -1, -1):
            if len(found) >= count:
                break
            row = marked.get(i)
            if row is None or row.ok:
                found.append(row or self.row(i))
        return found

    def row(self, i: int) -> Row:
        v = self.verdicts
        nodes = v.nodes
        if v.grad[i] == CORRECT and v.data[i] in (CORRECT, INPUT) and i not in v.locals:  # most nodes
            op = (nodes.op_text[i] or LEAF) + (" (inferred)" if i in nodes.inferred else "")
            return Row(
                i, nodes.name(i), nodes.line(i), op, nodes.data[i], nodes.grads[i], v.true[i], CORRECT, True, "", None
            )
        verdict, why = v.grad[i], [v.why[i]] if v.why[i] else []
        origin = v.source[i]
        source = None if origin is None else nodes.name(origin)
        if verdict == INHERITED:
            why.append(f"right for the grads its consumers hold, which are off: the error comes from {source}")
        value_why = self._value_why(i)
        if value_why:
            why.insert(0, value_why)
        local_why = self._local_why(i)
        if local_why:
            why.insert(0, local_why)
        if v.data[i] == SKIPPED:
            why.append(f"{nodes.op_text[i]} is no op of the table: its value and local gradients are not judged")
        ok = verdict in PASSING and not value_why and not local_why
        if verdict in PASSING and not ok:
            verdict = WRONG_LOCAL if local_why else WRONG_VALUE
        op = (nodes.op_text[i] or LEAF) + (" (inferred)" if i in nodes.inferred else "")
        return Row(
            i,
            nodes.name(i),
            nodes.line(i),
            op,
            nodes.data[i],
            nodes.grads[i],
            v.true[i],
            verdict,
            ok,
            "; ".join(why),
            source,
        )

    def _value_why(self, i: int) -> str:
        v = self.verdicts
        if v.data[i] in (CORRECT, INPUT, SKIPPED):
            return ""
        if v.data_true[i] is None:
            return f"{v.nodes.op_text[i]} has no value at these arguments"
        return f"value {_num(v.nodes.data[i])}, but {v.nodes.op_text[i]} of its arguments is {_num(v.data_true[i])}"

    def _local_why(self, i: int) -> str:
        v = self.verdicts
        wrong = [c for c in v.locals.get(i, ()) if c.ok is False]
        parts = []
        for c in wrong:
            rule = local_text(v, i, c.pos)
            target = f"in [{_num(c.interval[0])}, {_num(c.interval[1])}] (a kink)" if c.interval else _num(c.rule)
            parts.append(
                f"local gradient for {v.nodes.name(v.nodes.args[i][c.pos])}: {rule} = {target}, "
                f"you have {_num(c.given)}"
            )
        return "; ".join(parts)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    @property
    def passed(self) -> int:
        return self.size - self.failed - self.skipped

    @property
    def failed(self) -> int:
        return sum(1 for row in self._marked.values() if not row.ok)

    @property
    def skipped(self) -> int:
        """Nodes not judged (a local gradient on the way has no value there): neither passed nor failed."""
        return sum(1 for row in self._marked.values() if row.verdict == SKIPPED)

    @cached_property
    def bugs(self) -> tuple[Bug, ...]:
        """The named bugs found, each with the nodes it was found at (wrong here, not inherited)."""
        found: dict[str, list[str]] = {kind: [] for kind in BUGS}
        for row in self._marked.values():
            if row.verdict in found:
                found[row.verdict].append(row.name)
        return tuple(Bug(kind, BUGS[kind], tuple(names)) for kind, names in found.items() if names)

    def long_names(self, limit: int) -> list[str]:
        """The nodes' names longer than `limit` characters, as reports show them: a reason may quote them."""
        return self.verdicts.nodes.long_names(limit)

    @property
    def root(self) -> str:
        return self.verdicts.nodes.name(self.verdicts.nodes.root)

    def __str__(self) -> str:
        from ..render.verify.table import text

        return text(self)

    def __rich__(self):
        from ..render.verify.table import View

        return View(self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython and notebooks
        printer.text(str(self))

    def json(self) -> str:
        from ..render.verify.json import document

        return document(self)
