"""The graph: nodes in creation order (SSA), one array per field.

node id == its index, and every argument points to a smaller id, so the order is already a
topological one: forward is one loop over the columns, backward the same loop reversed. There is
no object per node: a 10^6-gate program is a few lists and arrays, and `nodes[i]` makes the Node
of one node when it is asked for, for code that reads a few nodes by id.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import compress
from typing import NamedTuple

from .errors import InputError, Source
from .ops import Number

INPUT = "input"  # a leaf whose value comes from the program or a binding; gradients stop here
CONST = "const"  # a literal (or a folded constant subexpression); it has no gradient
LEAVES = (INPUT, CONST)

NO_ARG = -1  # arg0 and arg1 of a leaf, arg1 of a one-argument gate
MORE_ARGS = -2  # arg1 of a gate with more than two arguments: they are all in Columns.more


class Node(NamedTuple):
    op: str  # INPUT, CONST or a key of ops.OPS
    args: tuple[int, ...]
    name: str | None  # the program's name for it, if it has one
    value: Number | None  # for leaves: the literal or default value
    start: int  # span in the source text, as character offsets
    end: int


class Columns:
    """The fields of every node, one array each, in creation order: what the parser appends to.

    Ids and offsets are machine integers in arrays (4 bytes each, no int object per node); op names,
    node names and leaf values are lists of shared or small objects.
    """

    __slots__ = ("arg0", "arg1", "ends", "given", "more", "names", "ops", "starts")

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.arg0 = array("i")
        self.arg1 = array("i")
        self.more: dict[int, tuple[int, ...]] = {}  # gate id -> all its arguments, for more than two
        self.names: list[str | None] = []
        self.given: list[Number | None] = []  # a leaf's own value; None for gates
        self.starts = array("i")
        self.ends = array("i")

    @classmethod
    def of(cls, nodes: Iterable[Node]) -> Columns:
        columns = cls()
        for node in nodes:
            columns.append(*node)
        return columns

    def __len__(self) -> int:
        return len(self.ops)

    def append(self, op: str, args: tuple[int, ...], name: str | None, value: Number | None, start: int, end: int):
        i = len(self.ops)
        self.ops.append(op)
        self.arg0.append(args[0] if args else NO_ARG)
        self.arg1.append(args[1] if len(args) == 2 else NO_ARG if len(args) < 2 else MORE_ARGS)
        if len(args) > 2:
            self.more[i] = tuple(args)
        self.names.append(name)
        self.given.append(value)
        self.starts.append(start)
        self.ends.append(end)
        return i

    def truncate(self, count: int) -> None:
        """Drop the last `count` nodes."""
        keep = len(self.ops) - count
        for column in (self.ops, self.arg0, self.arg1, self.names, self.given, self.starts, self.ends):
            del column[keep:]
        for i in [i for i in self.more if i >= keep]:
            del self.more[i]

    def args(self, i: int) -> tuple[int, ...]:
        b = self.arg1[i]
        if b >= 0:
            return (self.arg0[i], b)
        if b == MORE_ARGS:
            return self.more[i]
        a = self.arg0[i]
        return () if a < 0 else (a,)

    def node(self, i: int) -> Node:
        node = (self.ops[i], self.args(i), self.names[i], self.given[i], self.starts[i], self.ends[i])
        return tuple.__new__(Node, node)

    def all_args(self) -> Iterator[tuple[int, ...]]:
        """Every node's arguments, in id order."""
        more = self.more
        for i, a, b in zip(range(len(self.ops)), self.arg0, self.arg1, strict=True):
            if b >= 0:
                yield (a, b)
            elif a < 0:
                yield ()
            elif b == NO_ARG:
                yield (a,)
            else:
                yield more[i]


class Nodes(Sequence):
    """The nodes as a read-only sequence of Node tuples, each made when it is read."""

    __slots__ = ("_columns",)

    def __init__(self, columns: Columns) -> None:
        self._columns = columns

    def __len__(self) -> int:
        return len(self._columns.ops)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(map(self._columns.node, range(*i.indices(len(self)))))
        if i < 0:
            i += len(self)
            if i < 0:
                raise IndexError("node id out of range")
        return self._columns.node(i)

    def __iter__(self) -> Iterator[Node]:
        c = self._columns
        new = tuple.__new__
        for node in zip(c.ops, c.all_args(), c.names, c.given, c.starts, c.ends, strict=True):
            yield new(Node, node)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Nodes, tuple, list)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Nodes({list(self)!r})"


class Consumers(Sequence):
    """For each node, the (gate, argument position) pairs that read it, in id order: a tuple of pairs
    made when a node's are read. Kept as linked lists in arrays, 12 bytes per edge and 4 per node,
    so that a node read 10^6 times, or a graph of 10^6 nodes, costs no object per edge."""

    __slots__ = ("_first", "_gate", "_next", "_pos")

    def __init__(self, columns: Columns) -> None:
        first = array("i", [-1]) * len(columns)  # node -> its first edge, -1 for none
        gates, positions, following = array("i"), array("i"), array("i")
        add_gate, add_pos, add_next = gates.append, positions.append, following.append
        edge = 0
        # gates from the last down, each one's arguments from the last down: pushing each edge on the
        # front of its argument's list leaves every list in (gate, position) order
        for gate in range(len(columns) - 1, -1, -1):
            args = columns.args(gate)
            for pos in range(len(args) - 1, -1, -1):
                arg = args[pos]
                add_gate(gate)
                add_pos(pos)
                add_next(first[arg])
                first[arg] = edge
                edge += 1
        self._first, self._gate, self._pos, self._next = first, gates, positions, following

    def __len__(self) -> int:
        return len(self._first)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(map(self.__getitem__, range(*i.indices(len(self)))))
        edge = self._first[i]
        uses = []
        gates, positions, following = self._gate, self._pos, self._next
        while edge >= 0:
            uses.append((gates[edge], positions[edge]))
            edge = following[edge]
        return tuple(uses)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Consumers, tuple, list)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented  # __eq__ without __hash__: Python makes instances unhashable


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


class Graph:
    """An immutable graph: its columns, the output's id, the source text and the claim lines.

    `Graph(nodes, output, source, claims)` takes the nodes as Columns (the parser's) or as any
    sequence of Node tuples.
    """

    __slots__ = ("__dict__", "claims", "columns", "output", "source")
    columns: Columns
    output: int
    source: Source
    claims: tuple[Claim, ...]

    def __init__(
        self,
        nodes: Columns | Iterable[Node] = (),
        output: int = 0,
        source: Source | None = None,
        claims: Iterable[Claim] = (),
    ) -> None:
        object.__setattr__(self, "columns", nodes if isinstance(nodes, Columns) else Columns.of(nodes))
        object.__setattr__(self, "output", output)
        object.__setattr__(self, "source", Source("") if source is None else source)
        object.__setattr__(self, "claims", tuple(claims))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Graph is immutable: cannot set {name}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (self.output, self.source, self.claims) == (other.output, other.source, other.claims) and (
            self.nodes == other.nodes
        )

    def __hash__(self) -> int:
        return hash((self.output, len(self.columns), self.claims))

    def __repr__(self) -> str:
        return f"Graph({len(self.columns)} nodes, output={self.output})"

    @cached_property
    def nodes(self) -> Nodes:
        return Nodes(self.columns)

    def args(self, i: int) -> tuple[int, ...]:
        return self.columns.args(i)

    @cached_property
    def inputs(self) -> tuple[int, ...]:
        ops = self.columns.ops
        return tuple(compress(range(len(ops)), map(INPUT.__eq__, ops)))  # in C

    @cached_property
    def ids(self) -> dict[str, int]:
        """Named node ids by name, in definition order."""
        return {name: i for i, name in enumerate(self.columns.names) if name is not None}

    @cached_property
    def varies(self) -> tuple[bool, ...]:
        """Whether each node depends on an input: only those edges carry a gradient worth showing."""
        return tuple(op != CONST for op in self.columns.ops)

    @cached_property
    def consumers(self) -> Consumers:
        """For each node, the (gate, argument position) pairs that read it, in id order."""
        return Consumers(self.columns)

    def consumers_of(self, ids: Iterable[int], first: int | None = None) -> dict[int, tuple[tuple[int, int], ...]]:
        """The consumers of a few nodes (a table's rows), by one scan of the argument columns in C:
        a table of 60 rows over 10^6 gates need not link every edge of the graph. With `first`, only
        each node's first that many, which is all a cell that shows a few needs (an input read by
        10^6 gates makes no list of them)."""
        wanted = set(ids)
        if "consumers" in self.__dict__:  # already linked
            return {i: self.consumers[i][:first] for i in wanted}
        c = self.columns
        uses: dict[int, list[tuple[int, int]]] = {i: [] for i in wanted}
        cap = len(c.ops) if first is None else first
        for pos, column in enumerate((c.arg0, c.arg1)):
            for gate in compress(range(len(column)), map(wanted.__contains__, column)):
                found = uses[column[gate]]
                if len(found) < cap:  # a column's gates come in order: its first ones are the first
                    found.append((gate, pos))
        for gate, args in c.more.items():
            for pos, a in enumerate(args):
                if a in wanted:
                    uses[a].append((gate, pos))
        return {i: tuple(sorted(edges)[:first]) for i, edges in uses.items()}

    def text(self, node_id: int, limit: int = 32) -> str:
        """What the user wrote for a node: its name, or its source text squeezed onto one line."""
        c = self.columns
        name = c.names[node_id]
        if name is not None:
            return name
        start = c.starts[node_id]
        raw = " ".join(self.source.text[start : min(c.ends[node_id], start + 4 * limit)].split())
        if len(raw) > limit:
            raw = raw[: limit - 3] + "..."
        if not (raw.isascii() and raw.isprintable()):  # comments may hold anything
            raw = "".join(ch if " " <= ch <= "~" else "?" for ch in raw)
        return raw
