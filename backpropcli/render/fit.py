"""Tables fitted to the terminal's width without breaking what they hold.

A cell is an atom (a number, a name: never broken, never cut) or prose (words: it may wrap between
them, never inside one). A layout takes the widths every cell needs at most, or, where that is too
wide, gives the prose columns what is left; when even the atoms do not fit it answers None, and the
renderer picks a narrower form of its table. The table is drawn here too, straight into the widths
chosen. Long names are shortened to a mark, and the whole name is given once in a footnote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.control import strip_control_codes
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

GAP = 2  # columns apart: one padding and one divider
RULE = {False: "\u2500", True: "-"}  # under the header; '-' where the output cannot encode '─'


@dataclass(frozen=True)
class Column:
    header: str
    right: bool = False  # numbers line up on their last digit
    prose: bool = False  # may wrap between words


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def widths(columns: list[Column], rows: list[list[str]], room: int, wrap: bool = True) -> list[int] | None:
    """Each column's width within `room` characters, or None if the atoms alone need more (or, without
    `wrap`, if some prose would have to wrap)."""
    natural, least = _extents(columns, rows)
    gaps = GAP * (len(columns) - 1)
    if sum(natural) + gaps <= room:
        return natural
    if not wrap or sum(least) + gaps > room:
        return None
    return _spread(columns, natural, least, room - gaps)


def _extents(columns: list[Column], rows: list[list[str]]) -> tuple[list[int], list[int]]:
    """What each column takes on one line per cell, and the least it takes: its widest atom or word."""
    natural = [cell_len(c.header) if not c.prose else _longest_word(c.header) for c in columns]
    least = list(natural)
    for row in rows:
        for k, cell in enumerate(row):
            size = cell_len(cell)
            natural[k] = max(natural[k], size)
            least[k] = max(least[k], _longest_word(cell) if columns[k].prose else size)
    for k, column in enumerate(columns):
        natural[k] = max(natural[k], cell_len(column.header))
    return natural, least


def _spread(columns: list[Column], natural: list[int], least: list[int], room: int) -> list[int]:
    """The least widths, and what is left of the room shared by the prose columns, evenly."""
    chosen, spare = list(least), room - sum(least)
    prose = [k for k, c in enumerate(columns) if c.prose]
    while spare > 0:
        wanting = [k for k in prose if chosen[k] < natural[k]]
        if not wanting:
            break
        for k in wanting[:spare]:
            chosen[k] += 1
        spare -= min(spare, len(wanting))
    return chosen


def table(
    columns: list[Column],
    rows: list[list[Text | str]],
    room: int,
    force: bool = False,
    wrap: bool = True,
    header: bool = True,
) -> Drawn | None:
    """These rows drawn within `room` characters, or None where they cannot be drawn there (with
    `force`, a table wider than the room instead: its lines are written whole, never cut)."""
    plain = [[cell.plain if isinstance(cell, Text) else cell for cell in row] for row in rows]
    chosen = widths(columns, plain, room, wrap)
    if chosen is None:
        if not force:
            return None
        natural, least = _extents(columns, plain)  # wider than the room: the atoms whole, the prose wrapped
        chosen = _spread(columns, natural, least, room - GAP * (len(columns) - 1))
    return Drawn(tuple(columns), tuple(map(tuple, rows)), tuple(chosen), header)


@dataclass(frozen=True)
class Drawn:
    """A table drawn straight into the widths chosen here: the header in rich's header style, a rule,
    the rows, each cell written as rich writes it. Rich's Table would measure and lay out every cell
    again, several times over, for widths that are already known."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Text | str, ...], ...]
    chosen: tuple[int, ...]  # each column's width, without the gap
    header: bool = True

    @property
    def width(self) -> int:
        return sum(self.chosen) + GAP * (len(self.chosen) - 1)

    def __rich_measure__(self, console, options) -> Measurement:
        return Measurement(self.width, self.width)

    def __rich_console__(self, console, options):
        if not self.columns:
            yield Segment.line()  # as rich draws a table without columns
            return
        if self.header:
            heads = [console.render_str(c.header, highlight=False, markup=options.markup) for c in self.columns]
            yield from self._row(console, heads, console.get_style("table.header"))
            yield Segment(RULE[options.ascii_only] * self.width)
            yield Segment.line()
        for row in self.rows:
            yield from self._row(console, row, None)

    def _row(self, console, cells: Sequence[Text | str], style: Style | None) -> list[Segment]:
        """The row's lines: each cell and its padding, a divider between; a cell of fewer lines than
        the row filled with blanks below it, or above it in the header (whose cells take `style`)."""
        drawn = [
            _cell(console, cell, width, column)
            for cell, width, column in zip(cells, self.chosen, self.columns, strict=True)
        ]
        height = max(map(len, drawn))
        fill = style if height else None  # as rich fills a row that holds nothing: unstyled
        last = len(drawn) - 1
        out: list[Segment] = []
        for n in range(max(1, height)):
            line: list[Segment] = []
            for k, lines in enumerate(drawn):
                at = n - (height - len(lines) if style is not None else 0)
                pad = " " * (k < last)  # the last column has no padding, and no divider after it
                if not 0 <= at < len(lines):
                    line.append(Segment(" " * self.chosen[k] + pad, fill))
                elif style:
                    line += Segment.apply_style([*lines[at], Segment(pad)], style)
                else:
                    line += lines[at]
                    line.append(Segment(pad))
                line.append(Segment(pad))  # the divider
            out += _merged(line)
        return out


def _cell(console, cell: Text | str, width: int, column: Column) -> list[list[Segment]]:
    """The cell's lines, each `width` wide, as rich writes them: a line that fits at once, anything
    else (prose to wrap, a styled span, a line break, a tab) through rich's own Text.wrap."""
    if not width:
        return []  # rich draws nothing into no room, not even what takes none (a combining accent)
    if isinstance(cell, str):
        text, style = strip_control_codes(cell), None  # as Text(cell) holds it
    elif cell.spans or cell.justify or cell.overflow or cell.end != "\n":
        return _wrapped(console, cell, width, column)
    else:
        text, style = cell.plain, cell.style
    spare = width - cell_len(text)
    if spare < 0 or "\n" in text or "\t" in text:
        return _wrapped(console, Text(cell) if isinstance(cell, str) else cell, width, column)
    if column.right:
        text = text.rstrip()
        text = " " * (width - cell_len(text)) + text
    else:
        text += " " * spare
    return [[Segment(text, console.get_style(style, default=Style.null()) if style else None)]]


def _wrapped(console, text: Text, width: int, column: Column) -> list[list[Segment]]:
    """What rich's Text writes into a cell this wide: its own breaks between words, its justification
    and its styles, each line padded out to the width."""
    lines = text.wrap(
        console,
        width,
        justify=text.justify or ("right" if column.right else "left"),
        overflow=text.overflow or "fold",
        tab_size=(console.tab_size if text.tab_size is None else text.tab_size) or 8,
        no_wrap=not column.prose if text.no_wrap is None else text.no_wrap,
    )
    drawn = Text("\n").join(lines).render(console, end=text.end)
    return list(Segment.split_and_crop_lines(drawn, width, include_new_lines=False))


def _merged(line: list[Segment]) -> list[Segment]:
    """The line with its unstyled neighbours joined into one segment (they are written the same either
    way; a styled segment is written with its own escape codes, so those are left as they are)."""
    out: list[Segment] = []
    plain = ""
    for segment in line:
        if segment.style:
            if plain:
                out.append(Segment(plain))
                plain = ""
            out.append(segment)
        else:
            plain += segment.text
    if plain:
        out.append(Segment(plain))
    out.append(Segment.line())
    return out


def line(text: str, style: str = "") -> Text:
    """A line written whole, however long: a footnote's name, a formula an atom of which is long."""
    return Text(text, style=style, no_wrap=True, overflow="ignore")


NUMBER_LIMIT = 20  # the widest exact number a cell shows whole (20! has 19 digits)
_EXACT = re.compile(r"-?\d+(?:/\d+)?")
_LONG_NUMBER = re.compile(rf"-?\d{{{NUMBER_LIMIT},}}(?:/\d+)?|-?\d+/\d{{{NUMBER_LIMIT},}}")


def name_limit(width: int) -> int:
    """How long a name or node text may be in a table cell at this terminal width."""
    return max(10, min(24, width // 6))


@dataclass
class Footnotes:
    """Long names shortened to a mark in the tables, each given whole once, below them."""

    limit: int
    cut: str = "\u2026"
    whole: dict[str, str] = field(default_factory=dict)  # text -> its mark

    def short(self, text: str, limit: int | None = None) -> str:
        limit = self.limit if limit is None else limit
        if cell_len(text) <= limit:
            return text
        mark = self.whole.get(text)
        if mark is None:
            number = f"[{len(self.whole) + 1}]"
            mark = text[: max(1, limit - len(self.cut) - len(number))] + self.cut + number
            self.whole[text] = mark
        return mark

    def number(self, text: str) -> str:
        """An exact number too long for a cell (2**2000 has 603 digits), shortened like a long name; a
        float's text (at most 24 characters, and as many digits as asked for) is left whole."""
        return self.short(text, NUMBER_LIMIT) if _EXACT.fullmatch(text) else text

    def within(self, text: str, names: Iterable[str] = ()) -> str:
        """Prose with every long name in it shortened to that name's mark: the names shortened so far,
        and those of `names` (a program's names, say) that it holds, which get their marks now."""
        for name in names:
            if cell_len(name) > self.limit and name in text:
                self.short(name)
        for found in _LONG_NUMBER.findall(text):
            self.number(found)
        for name, mark in sorted(self.whole.items(), key=lambda item: -len(item[0])):  # longest first
            if name in text:
                text = text.replace(name, mark)
        return text

    def lines(self) -> list[Text]:
        return [line(f"{mark[mark.rindex('[') :]} {name}", "dim") for name, mark in self.whole.items()]
