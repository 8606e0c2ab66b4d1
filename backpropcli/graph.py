"""The graph: an immutable list of nodes in creation order (SSA).

node id == its index, and every argument points to a smaller id, so the list is already a
topological order: forward is one loop over it, backward the same loop reversed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from .errors import InputError, Source
from .ops import Number

INPUT = "input"  # a leaf whose value comes from the program or a binding; gradients stop here
CONST = "const"  # a literal (or a folded constant subexpression); it has no gradient
LEAVES = (INPUT, CONST)


class Node(NamedTuple):
    op: str  # INPUT, CONST or a key of ops.OPS
    args: tuple[int, ...]
    name: str | None  # the program's name for it, if it has one
    value: Number | None  # for leaves: the literal or default value
    start: int  # span in the source text, as character offsets
    end: int


@dataclass(frozen=True)
class Claim:
    """A hand-written backward-pass line `d<of>d<node> = expr` (or `+= expr`, one contribution).

    `graph` is the right-hand side; its inputs are named by forward names and earlier claims. A claim
    is identified by its pair: d of / d wrt, a local gradient when `of` is not the output.
    """

    name: str
    wrt: int
    graph: Graph
    start: int
    end: int
    comment: str
    of: int
    adds: bool = False  # a `+=` line: one contribution to the sum the name accumulates
    error: InputError | None = None  # it reads a name nothing defines: reported, and the other claims graded


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    output: int
    source: Source = field(default_factory=lambda: Source(""))
    claims: tuple[Claim, ...] = ()

    @cached_property
    def inputs(self) -> tuple[int, ...]:
        return tuple(i for i, node in enumerate(self.nodes) if node.op == INPUT)

    @cached_property
    def ids(self) -> dict[str, int]:
        """Named node ids by name, in definition order."""
        return {node.name: i for i, node in enumerate(self.nodes) if node.name is not None}

    @cached_property
    def varies(self) -> tuple[bool, ...]:
        """Whether each node depends on an input: only those edges carry a gradient worth showing."""
        return tuple(node.op != CONST for node in self.nodes)

    @cached_property
    def consumers(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """For each node, the (gate, argument position) pairs that read it, in id order."""
        uses: list[list[tuple[int, int]]] = [[] for _ in self.nodes]
        for gate, node in enumerate(self.nodes):
            for pos, arg in enumerate(node.args):
                uses[arg].append((gate, pos))
        return tuple(tuple(u) for u in uses)

    def text(self, node_id: int, limit: int = 32) -> str:
        """What the user wrote for a node: its name, or its source text squeezed onto one line."""
        node = self.nodes[node_id]
        if node.name is not None:
            return node.name
        raw = " ".join(self.source.text[node.start : min(node.end, node.start + 4 * limit)].split())
        raw = "".join(ch if " " <= ch <= "~" else "?" for ch in raw)  # comments may hold anything
        return raw if len(raw) <= limit else raw[: limit - 3] + "..."
