"""`backprop mlp --format markdown`: the document of mlp_rows as Markdown, for course notes.

Headings for the layers and for gradient descent, pipe tables for the matrices (numbers
right-aligned), prose lines as paragraphs; the closing `checks:` line last, as in the table view.
"""

from __future__ import annotations

from ...network.study import Study
from ..cells import Glyphs
from .rows import Grid, document


def render(study: Study, g: Glyphs) -> str:
    blocks: list[str] = []
    for part in document(study, g):
        if isinstance(part, Grid):
            blocks.append(_table(part))
            continue
        text = part.text.strip("\n")
        if part.text.startswith("\n") and part.style == "bold":
            blocks.append(f"## {text}")
        elif part.style == "bold":
            blocks.append(f"**{_escaped(text)}**")
        else:
            blocks.append(_escaped(text))
    return "\n\n".join(blocks) + "\n"


def _table(grid: Grid) -> str:
    head = "| " + " | ".join(_cell(c) for c in grid.columns) + " |"
    rule = "|" + "|".join("---:" if grid.right(c) else "---" for c in grid.columns) + "|"
    rows = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in grid.rows]
    return "\n".join([head, rule, *rows])


def _cell(text: str) -> str:
    return _escaped(text).replace("|", "\\|") or " "


def _escaped(text: str) -> str:
    """Markdown's emphasis and code characters written literally (a name such as w1_0_0 has _)."""
    for ch in "\\`*_[]<>":
        text = text.replace(ch, "\\" + ch)
    return text
