"""The graph as a Mermaid flowchart, which GitHub and most Markdown viewers draw inside a mermaid block.

Same nodes, labels and edges as the DOT picture. Characters Mermaid or HTML would read as syntax
are written as Mermaid entity codes (#35; for '#'), so user text stays text.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...pipeline import Report
from .dot import FILL, boxes, kind_of, links

_SYNTAX = frozenset('"#&<>`|\\{}[]')
STROKE = {"positive": "#15803d", "negative": "#b91c1c", "zero": "#6b7280", "constant": "#9ca3af", "unused": "#9ca3af"}


def render(report: Report) -> Iterator[str]:
    yield "flowchart LR\n"
    classes: dict[str, list[str]] = {}
    for key, i, lines in boxes(report):
        classes.setdefault(kind_of(report, i), []).append(key)
        yield f'  {key}["{_label(lines)}"]\n'
    for source, target, text in links(report):
        yield f'  {source} -->|"{_label(text.splitlines())}"| {target}\n' if text else f"  {source} -.-> {target}\n"
    for kind in sorted(classes):
        dashed = ",stroke-dasharray:4 3" if kind in ("constant", "unused") else ""
        yield f"  classDef {kind} fill:{FILL[kind]},stroke:{STROKE[kind]}{dashed}\n"
        yield f"  class {','.join(classes[kind])} {kind}\n"


def _label(lines: list[str]) -> str:
    return "<br/>".join("".join(f"#{ord(ch)};" if ch in _SYNTAX else ch for ch in line) for line in lines)
