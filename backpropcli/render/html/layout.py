"""Where each box of the graph goes, left to right: Graphviz's dot where it is installed, else layers.

The page never needs Graphviz. Without it (or when dot is slow) boxes are placed by a layered layout
written here: a gate one column right of its furthest input, inputs in the first column, a copy of
a shared leaf just left of its gate, and each column ordered by a few barycenter sweeps. Both are
loops over the boxes in id order, so the same graph always gets the same coordinates.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

LINE = 17  # pixels per line of text in a box
CHAR = 8.0  # pixels per character, a generous average for the page's sans-serif at 13px, bold digits included
GAP_X, GAP_Y = 120, 22  # between columns, and between boxes in a column
SWEEPS = 4  # barycenter passes, down and back, that order each column
DOT_TIMEOUT = 20  # seconds dot may take before the layered layout is used instead
# Boxes up to which dot places them. Above, dot's ranking of a long chain drifts up and down (a
# 600-box recurrence came out 9,000 pixels tall) and takes seconds; the layered layout keeps a chain
# on one line, which the page scrolls along, and takes a fraction of a second.
DOT_BOXES = 150


@dataclass(frozen=True)
class Box:
    key: str
    width: float
    height: float
    sources: tuple[int, ...]  # indices of the boxes its edges come from


@dataclass(frozen=True)
class Placed:
    """Centres of the boxes, in their order, and the size of the picture."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    width: float
    height: float


def size(lines: Sequence[str]) -> tuple[float, float]:
    return round(max(len(line) for line in lines) * CHAR + 24), len(lines) * LINE + 14


def place(boxes: Sequence[Box]) -> Placed:
    """Graphviz's placement where dot runs (in time, up to DOT_BOXES boxes), else the layered one."""
    return (len(boxes) <= DOT_BOXES and _dot(boxes)) or layered(boxes)


def layered(boxes: Sequence[Box]) -> Placed:
    columns = _columns(boxes)
    order = _ordered(boxes, columns)
    widths = [max((boxes[b].width for b in col), default=0) for col in order]
    heights = [sum(boxes[b].height + GAP_Y for b in col) - GAP_Y for col in order]
    tall = max(heights, default=0)
    x, y = [0.0] * len(boxes), [0.0] * len(boxes)
    left: float = GAP_Y
    for c, col in enumerate(order):
        top = GAP_Y + (tall - heights[c]) / 2
        for b in col:
            x[b], y[b] = left + widths[c] / 2, top + boxes[b].height / 2
            top += boxes[b].height + GAP_Y
        left += widths[c] + GAP_X
    return Placed(tuple(x), tuple(y), left - GAP_X + GAP_Y, tall + 2 * GAP_Y)


def _columns(boxes: Sequence[Box]) -> list[int]:
    """A gate one column right of its furthest gate input; leaves in column 0; copies beside their gate."""
    column = [0] * len(boxes)
    users: list[list[int]] = [[] for _ in boxes]
    for b, box in enumerate(boxes):
        for s in box.sources:
            users[s].append(b)
            if boxes[s].sources:
                column[b] = max(column[b], column[s] + 1)
        if box.sources:
            column[b] = max(column[b], 1)
    for b, box in enumerate(boxes):
        if not box.sources and len(users[b]) == 1 and column[users[b][0]] > 1:  # a copy or a lone leaf
            column[b] = column[users[b][0]] - 1
    return column


def _ordered(boxes: Sequence[Box], column: list[int]) -> list[list[int]]:
    """Each column's boxes top to bottom: by id, then sorted by the mean position of their neighbours."""
    order: list[list[int]] = [[] for _ in range(max(column, default=0) + 1)]
    for b in range(len(boxes)):
        order[column[b]].append(b)
    users: list[list[int]] = [[] for _ in boxes]
    for b, box in enumerate(boxes):
        for s in box.sources:
            users[s].append(b)
    for _ in range(SWEEPS):
        for neighbours, columns in ((lambda b: boxes[b].sources, order[1:]), (lambda b: users[b], order[-2::-1])):
            rank = {b: i for col in order for i, b in enumerate(col)}
            for col in columns:
                keyed = [(_mean([rank[n] for n in neighbours(b)], rank[b]), i, b) for i, b in enumerate(col)]
                col[:] = [b for _, _, b in sorted(keyed)]
    return order


def _mean(ranks: list[int], own: int) -> float:
    return sum(ranks) / len(ranks) if ranks else own


def _dot(boxes: Sequence[Box]) -> Placed | None:
    """Centres from `dot -Tplain` (points, y upwards); None where dot is missing, fails or is slow."""
    program = shutil.which("dot")
    if program is None:
        return None
    lines = ["digraph g { graph [rankdir=LR, nodesep=0.3, ranksep=1.5];", 'node [shape=box, label=""];']
    lines += [
        f"b{b} [width={box.width / 72:.3f}, height={box.height / 72:.3f}, fixedsize=true];"
        for b, box in enumerate(boxes)
    ]
    lines += [f"b{s} -> b{b};" for b, box in enumerate(boxes) for s in box.sources]
    try:
        done = subprocess.run(
            [program, "-Tplain"],
            input="\n".join([*lines, "}"]).encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    if done.returncode != 0:
        return None
    return _plain(done.stdout.decode("utf-8", "replace"), len(boxes))


def _plain(text: str, count: int) -> Placed | None:
    x, y = [0.0] * count, [0.0] * count
    width = height = 0.0
    seen = 0
    for line in text.splitlines():
        part = line.split()
        if part[:1] == ["graph"]:
            width, height = float(part[2]) * 72, float(part[3]) * 72
        elif part[:1] == ["node"] and part[1].startswith("b"):
            b = int(part[1][1:])
            x[b], y[b] = round(float(part[2]) * 72 + GAP_Y, 1), round(height - float(part[3]) * 72 + GAP_Y, 1)
            seen += 1
    if seen != count:
        return None
    return Placed(tuple(x), tuple(y), width + 2 * GAP_Y, height + 2 * GAP_Y)
