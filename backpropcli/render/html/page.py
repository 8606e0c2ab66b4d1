"""One self-contained HTML page (or a notebook cell's fragment): the graph as inline SVG, the steps as
panels, a small script that walks them. No request leaves the page: no fonts, images or scripts
from elsewhere. Above LARGE boxes the page shows the ledger as a searchable table instead (large.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

from ...explain import Explanation, atomic, pattern_text
from ...graph import CONST
from ..cells import number
from ..graph.dot import boxes, copied, flows, kind_of
from . import assets, large
from .frames import Frame, Frames, frames
from .layout import LINE, Box, Placed, place, size

# Boxes above which the page shows the searchable ledger and one node's neighbourhood, not the whole
# graph: a 1,000-gate MLP (1,585 boxes) still steps smoothly, scrolled to each gate; 10^5 would not.
LARGE = 2000
WIDE, TALL = 3000, 1400  # pixels: a larger picture is shown at its own size, scrolled to the step's gate
SIGN = {"positive": "+", "negative": "\u2212", "zero": "0"}


def render(ex: Explanation) -> Iterator[str]:
    """The whole page, for a file or stdout."""
    title = f"backprop: {ex.output} = {number(ex.report.value)}"
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    yield '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    yield f"<title>{escape(title)}</title>\n</head>\n<body>\n"
    yield from fragment(ex, page=True)
    yield "</body>\n</html>\n"


def fragment(ex: Explanation, page: bool = False) -> Iterator[str]:
    """The view on its own, its style and script scoped to it: what a notebook cell shows."""
    report = ex.report
    count = sum(1 for _ in boxes(report, lambda report, i: ["", ""]))  # labels are made only for a drawing
    mode = "large" if count > LARGE else "steps"
    yield f'<div class="bp" data-mode="{mode}"{" data-page" if page else ""}>\n<style>{assets.STYLE}</style>\n'
    yield _header(ex, count, mode)
    if mode == "large":
        yield from large.render(ex)
    else:
        keyed = list(boxes(report, _lines(ex)))
        fr = frames(ex)
        yield _controls(len(fr.frames))
        yield _svg(ex, keyed, fr)
        yield _steps(fr)
    yield f"<script>{assets.SCRIPT}</script>\n</div>\n"


def _header(ex: Explanation, count: int, mode: str) -> str:
    report = ex.report
    gates = len(ex.gates())
    how = "the ledger, searchable" if mode == "large" else "forward pass, then backward pass, one gate at a time"
    return (
        f"<header><h1>Backpropagation through <code>{escape(ex.output)}</code></h1>\n"
        f'<p class="lede"><code>{escape(ex.output)} = {escape(number(report.value))}</code> \u00b7 {gates} '
        f"{'gate' if gates == 1 else 'gates'}, {count} boxes \u00b7 {how}</p>\n"
        + "".join(f'<p class="warning">warning: {escape(w)}</p>\n' for w in report.warnings)
        + "</header>\n"
    )


def _controls(count: int) -> str:
    buttons = (
        ("first", "\u00ab First", "First step"),
        ("prev", "\u25c0 Back", "Previous step"),
        ("next", "Next \u25b6", "Next step"),
        ("last", "Last \u00bb", "Last step"),
    )
    html = "".join(
        f'<button type="button" data-go="{go}" aria-label="{label}" title="{label}">{text}</button>'
        for go, text, label in buttons
    )
    return (
        f'<nav class="controls" aria-label="Steps">{html}<span class="counter" role="status" aria-live="polite">'
        f"{count} steps; arrow keys step through them</span></nav>\n"
    )


def _lines(ex: Explanation):
    """A box's label in the story's names: `v = 6`, `mul swaps`, `∂f/∂v = 4`."""

    def lines(report, i: int) -> list[str]:
        node = report.graph.nodes[i]
        if node.op == CONST:
            return [number(node.value), "constant"]
        name = ex.names[i]
        if name is None:  # only a constant has no name, and a constant returned above
            raise ValueError(f"node {i} is no constant but has no name")
        what = f"{node.op} {_pattern(ex, i)}" if node.args else "input"
        kind = kind_of(report, i)
        grad = f"does not reach {ex.output}" if kind == "unused" else f"\u2202{ex.output}/\u2202{atomic(name)} = "
        grad += "" if kind == "unused" else number(report.back.grads[i])
        return [f"{name} = {number(report.values[i])}", what, grad]

    return lines


def _pattern(ex: Explanation, gate: int) -> str:
    return pattern_text(ex.graph, gate, lambda n: atomic(ex.names[n] or number(ex.graph.nodes[n].value)))


def _svg(ex: Explanation, keyed: list[tuple[str, int, list[str]]], fr: Frames) -> str:
    report = ex.report
    index = {key: b for b, (key, _, _) in enumerate(keyed)}
    copies = copied(report)
    sources: list[list[int]] = [[] for _ in keyed]
    edges = []
    for gate, pos, arg, text in flows(report):
        source = index[f"n{arg}_{gate}_{pos}" if arg in copies else f"n{arg}"]
        sources[index[f"n{gate}"]].append(source)
        edges.append((gate, pos, source, index[f"n{gate}"], text, number(report.values[arg])))
    shapes = [Box(key, *size(lines), tuple(sources[b])) for b, (key, _, lines) in enumerate(keyed)]
    placed = place(shapes)
    w, h = round(placed.width), round(placed.height)
    # A picture larger than WIDE x TALL stays at its own size and scrolls to the step's gate; a smaller one fits.
    big = w > WIDE or h > TALL
    fit = "wide" if big else "fit"
    style = f"width:{w}px" if big else f"max-width:min(100%,{w * 2}px);min-width:{min(w, 560)}px"
    parts = [
        f'<figure class="graph {fit}"><div class="pane"><svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        f'style="{style}" role="img" '
        f'aria-label="The graph of {escape(ex.output)}: {len(keyed)} boxes, inputs on the left, '
        f'the output on the right">'
    ]
    parts += [_edge(shapes, placed, *edge) for edge in edges]
    parts += [_node(report, shapes[b], placed, b, node, lines, fr) for b, (_, node, lines) in enumerate(keyed)]
    parts.append(f"</svg></div><figcaption>{_legend(ex)}</figcaption></figure>\n")
    return "".join(parts)


def _edge(
    shapes: list[Box], placed: Placed, gate: int, pos: int, source: int, target: int, text: str, value: str
) -> str:
    """An edge; on a forward step it shows the value it carries, on a backward one upstream times local = downstream."""
    x1 = placed.x[source] + shapes[source].width / 2
    y1 = placed.y[source]
    x2 = placed.x[target] - shapes[target].width / 2 - 7
    y2 = placed.y[target]
    bend = max(24.0, (x2 - x1) / 2)
    path = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    head = f"{x2:.1f},{y2 - 5:.1f} {x2 + 7:.1f},{y2:.1f} {x2:.1f},{y2 + 5:.1f}"
    mid_x, mid_y = (x1 + x2) / 2, (y1 + y2) / 2 - 6
    label = escape(text.replace("\n", " ")) if text else ""
    dashed = "" if text else " quiet"
    return (
        f'<g class="edge{dashed}" data-edge="{gate}-{pos}"><path d="{path}"/><polygon points="{head}"/>'
        f'<text class="lbl" x="{mid_x:.1f}" y="{mid_y:.1f}" text-anchor="middle">{label}</text>'
        f'<text class="fwd" x="{mid_x:.1f}" y="{mid_y:.1f}" text-anchor="middle">{escape(value)}</text></g>'
    )


def _node(report, shape: Box, placed: Placed, b: int, node: int, lines: list[str], fr: Frames) -> str:
    kind = kind_of(report, node)
    x, y = placed.x[b] - shape.width / 2, placed.y[b] - shape.height / 2
    copy = " copy" if shape.key != f"n{node}" else ""
    name, _, value = lines[0].rpartition(" = ")
    first = (
        f'<tspan class="nm">{escape(name)}</tspan> = <tspan class="val">{escape(value)}</tspan>'
        f'<tspan class="unk">?</tspan>'
        if name
        else f'<tspan class="nm">{escape(lines[0])}</tspan>'
    )
    texts = [f'<text x="12" y="{LINE + 4}">{first}</text>']
    texts += [
        f'<text class="{"gr" if k == 2 else "what"}" x="12" y="{LINE * (k + 1) + 4}">{escape(line)}</text>'
        for k, line in enumerate(lines[1:], 1)
    ]
    sign = SIGN.get(kind)
    badge = (
        f'<text class="sign" x="{shape.width - 8:.0f}" y="{LINE + 4}" text-anchor="end">{sign}</text>' if sign else ""
    )
    return (
        f'<g class="node k-{kind}{copy}" data-node="{node}" data-v="{fr.shows_value[node]}" '
        f'data-g="{fr.shows_grad[node]}" transform="translate({x:.1f},{y:.1f})"><title>{escape(", ".join(lines))}'
        f'</title><rect width="{shape.width:.0f}" height="{shape.height:.0f}" rx="9"/>{"".join(texts)}'
        f"{badge if len(lines) > 2 else ''}</g>"
    )


def _legend(ex: Explanation) -> str:
    out = escape(ex.output)
    return (
        f"Each box: the node = its value, its op and what it does to the gradient, and "
        f'<code>\u2202{out}/\u2202node</code> once it is final. <span class="key k-positive">+ positive</span> '
        f'<span class="key k-negative">\u2212 negative</span> <span class="key k-zero">0 zero</span> gradient. '
        f"Thick outline: the gate of this step; dashed outline: its inputs; a stacked box: one copy of an input "
        f"that many gates share. A lit edge carries its value on the way forward, and upstream \u00d7 local = "
        f"downstream on the way back."
    )


def _steps(fr: Frames) -> str:
    count = len(fr.frames)
    items = "".join(_step(k, count, frame) for k, frame in enumerate(fr.frames))
    return f'<ol class="steps">{items}</ol>\n'


def _step(k: int, count: int, frame: Frame) -> str:
    gate = "" if frame.gate is None else str(frame.gate)
    edges = " ".join(f"{g}-{p}" for g, p in frame.edges)
    return (
        f'<li class="step" data-phase="{frame.phase}" data-gate="{gate}" data-edges="{edges}">'
        f'<h2><span class="no">Step {k + 1} of {count}</span> {escape(frame.title)}</h2>{frame.body}</li>'
    )
