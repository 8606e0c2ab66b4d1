"""Tables drawn into the widths render/fit.py chose, compared with rich's Table laid out with the same widths.

The oracle is the rich Table that fit.table built before it drew its own: no edges, a rule under the
header ('-' where the output cannot encode '─'), one blank of padding and a blank divider between
columns, each column as wide as fit chose. Both are written by the same console, plain and in colour,
to a UTF-8 and to an ASCII file, raw (padding and all) and as the commands write them (show.show).
"""

from __future__ import annotations

import io

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rich.box import Box
from rich.console import Console
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

from backpropcli.render.fit import GAP, Column, Drawn, table
from backpropcli.render.show import show


class _Ruled(Box):
    def substitute(self, options, safe: bool = True) -> Box:
        return RULED_ASCII if options.ascii_only else self


RULED = _Ruled("    \n    \n ── \n    \n    \n    \n    \n    \n")
RULED_ASCII = Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


def reference(drawn: Drawn) -> Table:
    """The same rows in a rich Table with the same widths."""
    ruled = Table(box=RULED, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0), expand=False)
    ruled.show_header = drawn.header
    for column, width in zip(drawn.columns, drawn.chosen, strict=True):
        justify = "right" if column.right else "left"
        ruled.add_column(column.header, width=width, justify=justify, no_wrap=not column.prose, overflow="fold")
    for row in drawn.rows:
        ruled.add_row(*(cell if isinstance(cell, Text) else Text(cell) for cell in row))
    ruled.width = sum(drawn.chosen) + GAP * (len(drawn.columns) - 1)
    return ruled


class _File(io.StringIO):
    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]  # what rich reads to choose its glyphs
        return self._encoding


class _Part:
    """A table as a part of a command's output (a report's view yields its tables), which show.show
    writes as it is drawn: a rich Table passed to it alone would be laid out anew by show.fitted."""

    def __init__(self, renderable) -> None:
        self.renderable = renderable

    def __rich_console__(self, console, options):
        yield self.renderable


def written(renderable, width: int, colour: str | None, encoding: str) -> tuple[str, str]:
    """The renderable as the console writes it raw, and as show.show writes it."""
    outputs = []
    for through_show in (False, True):
        out = _File(encoding)
        console = Console(
            file=out, width=width, color_system=colour, force_terminal=colour is not None, highlight=False
        )
        if through_show:
            show(_Part(renderable), console)
        else:
            console.print(Segments(list(console.render(renderable, console.options))), end="", soft_wrap=True)
        outputs.append(out.getvalue())
    return outputs[0], outputs[1]


LETTERS = "abxyz_AZ09"
WIDE = "\u6570\u636e\u00e9e\u0301\u2026"  # two-cell CJK, a precomposed and a combining accent, an ellipsis
NUMBERS = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.6g}"),
    st.fractions(max_denominator=10**6).map(str),
)
NAMES = st.text(alphabet=LETTERS + WIDE, min_size=1, max_size=30)
WORDS = st.text(alphabet=LETTERS + WIDE + "()*+-/.,:'", min_size=1, max_size=14)
PROSE = st.lists(WORDS, min_size=2, max_size=12).map(" ".join)
LONG_WORD = st.text(alphabet=LETTERS + WIDE, min_size=25, max_size=60)
CELLS = st.one_of(NUMBERS, NAMES, PROSE, LONG_WORD, st.just(""))
COLOURS = [None, "standard", "truecolor"]
STYLES = st.sampled_from(["", "red", "bold", "dim", "bold red on white"])


@st.composite
def cells(draw) -> Text | str:
    plain = draw(CELLS)
    kind = draw(st.sampled_from(["str", "styled", "spans"]))
    if kind == "str":
        return plain
    text = Text(plain, style=draw(STYLES))
    if kind == "spans" and plain:
        start = draw(st.integers(0, len(plain) - 1))
        text.stylize(draw(STYLES) or "italic", start, draw(st.integers(start + 1, len(plain))))
    return text


@st.composite
def tables(draw) -> Drawn:
    columns = draw(
        st.lists(
            st.builds(Column, st.one_of(st.just(""), NAMES, PROSE), st.booleans(), st.booleans()),
            min_size=1,
            max_size=7,
        )
    )
    rows = draw(st.lists(st.lists(cells(), min_size=len(columns), max_size=len(columns)), max_size=8))
    room = draw(st.one_of(st.sampled_from([40, 80, 120, 200]), st.integers(0, 60)))
    drawn = table(columns, rows, room, force=True, wrap=draw(st.booleans()), header=draw(st.booleans()))
    assert drawn is not None  # with force, a table is always drawn
    return drawn


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=tables(), width=st.sampled_from([40, 80, 120, 200]), colour=st.sampled_from(COLOURS))
@example(  # a prose header wider than its column: the header's cells wrap, the others sit at its bottom
    drawn=table([Column("a header of several words", prose=True), Column("n", True)], [["a b", "1"]], 10, force=True),
    width=40,
    colour="standard",
)
@example(  # columns of nothing: the last one is zero wide
    drawn=table([Column(""), Column("")], [["", ""], ["x", ""]], 40, header=False),
    width=40,
    colour=None,
)
@example(drawn=table([Column("only")], [], 80), width=80, colour="truecolor")  # a header and no rows
def test_drawn_as_rich_draws_the_same_widths(drawn, width, colour):
    for encoding in ("utf-8", "ascii"):
        assert written(drawn, width, colour, encoding) == written(reference(drawn), width, colour, encoding)


def test_a_table_is_measured_as_wide_as_it_is_drawn():
    drawn = table([Column("name"), Column("why", prose=True)], [["x", "a reason of words"]], 12, force=True)
    assert drawn is not None
    console = Console(file=io.StringIO(), width=12)
    lines = console.render_lines(drawn, console.options.update_width(200), pad=False)
    widest = max(sum(len(segment.text) for segment in line) for line in lines)
    assert console.measure(drawn).maximum == drawn.width == widest


def test_the_header_rule_is_ascii_where_the_output_cannot_encode_it():
    drawn = table([Column("a"), Column("bb", True)], [["1", "2"]], 80)
    assert written(drawn, 80, None, "ascii")[1] == "a  bb\n-----\n1   2\n"
    assert written(drawn, 80, None, "utf-8")[1] == "a  bb\n\u2500\u2500\u2500\u2500\u2500\n1   2\n"
