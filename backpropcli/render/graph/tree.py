"""The graph as a tree in the terminal: the output at the root, each gate's inputs below it.

Every node shows its value, its op and its gradient; each child also shows the downstream
gradient along its edge. A node reached again (x in x * x) is drawn once and then referred to.
Built with an explicit stack, and cut at a depth and a line count a terminal can still show.
Colour follows the gradient's sign and size; rich drops it off a terminal and under NO_COLOR.
"""

from __future__ import annotations

from typing import cast

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree

from ...graph import CONST
from ...ops import Number
from ...pipeline import Report
from ..cells import UNICODE, Glyphs, number, op_cell
from .dot import kind_of, title

MAX_DEPTH = 16  # levels below the root; deeper gates are summarised in one line
MAX_LINES = 400  # lines of tree; past them the rest is left out, with a note saying so
SPACE = "   "


def render(report: Report, glyphs: Glyphs = UNICODE) -> Group:
    root, cut = _grow(report, _Look(report, glyphs))
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

    def __init__(self, report: Report, glyphs: Glyphs) -> None:
        self.report, self.glyphs = report, glyphs
        grads = report.back.grads[: report.graph.output + 1]
        self.biggest: Number = max(cast(Number, abs(g)) for g in grads)  # abs keeps the kind of number

    def style(self, node: int) -> str:
        kind = kind_of(self.report, node)
        if kind not in ("positive", "negative"):
            return "dim"
        hue = "green" if kind == "positive" else "red"
        return f"bold {hue}" if 2 * cast(Number, abs(self.report.back.grads[node])) >= self.biggest else hue

    def node(self, node: int, gate: int | None = None, pos: int = 0) -> Text:
        report, d = self.report, self.glyphs.partial
        n = report.graph.nodes[node]
        name = title(report, node)
        if n.op == CONST:
            return Text.assemble((name, "dim"), SPACE, ("constant", "dim"))
        what = op_cell(report.graph, node) if n.args else "input"
        grad = f"{d}{report.output}/{d}{name if n.name else '(' + name + ')'} = {number(report.back.grads[node])}"
        text = Text.assemble(
            (f"{name} = {number(report.values[node])}", "bold"), SPACE, (what, "cyan"), SPACE, (grad, self.style(node))
        )
        return self.edge(text, node, gate, pos)

    def again(self, node: int, gate: int, pos: int) -> Text:
        text = Text.assemble((title(self.report, node), "bold"), SPACE, ("(shown above)", "dim"))
        return self.edge(text, node, gate, pos)

    def edge(self, text: Text, node: int, gate: int | None, pos: int) -> Text:
        back = self.report.back
        local = None if gate is None else back.partials[gate]
        if gate is None or local is None or self.report.graph.nodes[node].op == CONST:
            return text
        text.append(SPACE)
        text.append(f"downstream {number(back.grads[gate] * local[pos])}", style="italic")
        return text
