"""The graph as a tree in the terminal: the output at the root, each gate's inputs below it.

Every node shows its value, its op and its gradient; each child also shows the downstream
gradient along its edge. A node reached again (x in x * x) is drawn once and then referred to.
Built with an explicit stack, and cut at a depth and a line count a terminal can still show.
Colour follows the gradient's sign and size; rich drops it off a terminal and under NO_COLOR.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.measure import Measurement
from rich.text import Text
from rich.tree import Tree

from ...graph import CONST
from ...ops import Number, magnitude
from ...pipeline import Report
from ..cells import UNICODE, Glyphs, number, op_cell
from ..fit import Footnotes, name_limit
from .dot import copied, kind_of, title

MAX_DEPTH = 16  # levels below the root; deeper gates are summarised in one line
MAX_LINES = 400  # lines of tree; past them the rest is left out, with a note saying so
SPACE = "   "


def render(report: Report, glyphs: Glyphs = UNICODE) -> _View:
    return _View(report, glyphs)


class _View:
    """The tree drawn at the console's width: a long name is shortened to a mark in the labels and
    given whole once below the tree."""

    def __init__(self, report: Report, glyphs: Glyphs) -> None:
        self.report, self.glyphs = report, glyphs

    def __rich_console__(self, console, options):
        notes = Footnotes(name_limit(options.max_width), self.glyphs.cut)
        yield _drawn(self.report, self.glyphs, notes)
        yield from notes.lines()


def _drawn(report: Report, glyphs: Glyphs, notes: Footnotes) -> Group:
    root, cut = _grow(report, _Look(report, glyphs, notes))
    parts: list[RenderableType] = [
        root,
        Text(
            f"downstream = upstream {glyphs.times} local: the gradient along the edge to the parent gate", style="dim"
        ),
        Text("(shown above): a node reached again is drawn once", style="dim"),
    ]
    if cut:
        parts.append(Text(f"the tree stops at {MAX_LINES} lines; --format dot draws the whole graph", style="dim"))
    return Group(*parts)


class _Label:
    """A node's label: its fields on one line where the tree leaves room for them, else as many lines
    as it takes, broken only between fields (and a field wider than the room between its words), so
    no number or name is ever split."""

    def __init__(self, *fields: tuple[str, str]) -> None:
        self.fields = fields

    def __rich_measure__(self, console, options) -> Measurement:
        sizes = [cell_len(text) for text, _ in self.fields]
        return Measurement(max(sizes), sum(sizes) + len(SPACE) * (len(sizes) - 1))

    def __rich_console__(self, console, options):
        room, line, used = options.max_width, Text(), 0
        for text, style in self.fields:
            size = cell_len(text)
            if used and used + len(SPACE) + size > room:
                yield line
                line, used = Text(), 0
            if used:
                line.append(SPACE)
                used += len(SPACE)
            line.append(text, style=style)
            used += size
        yield line


def _grow(report: Report, look: _Look) -> tuple[Tree, bool]:
    """Depth first from the output with an explicit stack, arguments in order; True if cut short."""
    out = report.graph.output
    root = Tree(look.node(out))
    shown = {out}
    stack = _children(report, out, root, 1)
    lines = 1
    while stack and lines < MAX_LINES:
        node, gate, pos, parent, depth = stack.pop()
        lines += 1
        if node in shown:
            parent.add(look.again(node, gate, pos))
            continue
        shown.add(node)
        branch = parent.add(look.node(node, gate, pos))
        args = report.graph.nodes[node].args
        if args and depth >= MAX_DEPTH:
            branch.add(Text(f"... {len(args)} more edges below, not shown (depth limit {MAX_DEPTH})", style="dim"))
            lines += 1
        else:
            stack.extend(_children(report, node, branch, depth + 1))
    return root, bool(stack)


def _children(report: Report, gate: int, branch: Tree, depth: int) -> list[tuple]:
    """A gate's arguments as stack entries, last first, so that they pop in argument order."""
    args = report.graph.nodes[gate].args
    return [(args[pos], gate, pos, branch, depth) for pos in range(len(args) - 1, -1, -1)]


class _Look:
    """Labels and colours: green for a positive gradient, red for a negative one, bold for the largest."""

    def __init__(self, report: Report, glyphs: Glyphs, notes: Footnotes) -> None:
        self.report, self.glyphs, self.notes = report, glyphs, notes
        self.shared = copied(report)  # leaves many gates read: each later use says how many
        grads = report.back.grads[: report.graph.output + 1]
        self.biggest: Number = max(magnitude(g) for g in grads)  # abs keeps the kind of number

    def style(self, node: int) -> str:
        kind = kind_of(self.report, node)
        if kind not in ("positive", "negative"):
            return "dim"
        hue = "green" if kind == "positive" else "red"
        return f"bold {hue}" if 2 * magnitude(self.report.back.grads[node]) >= self.biggest else hue

    def node(self, node: int, gate: int | None = None, pos: int = 0) -> _Label:
        report, d = self.report, self.glyphs.partial
        n = report.graph.nodes[node]
        name = self.title(node)
        if n.op == CONST:
            return _Label((name, "dim"), ("constant", "dim"))
        what = op_cell(report.graph, node) if n.args else "input"
        wrt = name if n.name else f"({name})"
        grad = f"{d}{self.notes.short(report.output)}/{d}{wrt} = {number(report.back.grads[node])}"
        fields = [(f"{name} = {number(report.values[node])}", "bold"), (what, "cyan"), (grad, self.style(node))]
        return _Label(*fields, *self.edge(node, gate, pos))

    def again(self, node: int, gate: int, pos: int) -> _Label:
        seen = f"(shared by {self.shared[node]} gates, shown above)" if node in self.shared else "(shown above)"
        return _Label((self.title(node), "bold"), (seen, "dim"), *self.edge(node, gate, pos))

    def title(self, node: int) -> str:
        """A node's title, a long name shortened to its mark (unnamed gates' texts are short already)."""
        shown = title(self.report, node)
        return self.notes.short(shown) if self.report.graph.nodes[node].name is not None else shown

    def edge(self, node: int, gate: int | None, pos: int) -> list[tuple[str, str]]:
        back = self.report.back
        local = None if gate is None else back.partials[gate]
        if gate is None or local is None or self.report.graph.nodes[node].op == CONST:
            return []
        return [(f"downstream {number(back.grads[gate] * local[pos])}", "italic")]
