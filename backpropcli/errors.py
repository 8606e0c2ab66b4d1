"""One error hierarchy. Core code raises these; only the CLI turns them into stderr and an exit status."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat
from operator import add, sub

from .status import EXIT_INPUT

_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Location:
    """Where in the user's text an error points: 1-based line and character column."""

    line: int
    col: int
    text: str = ""
    path: str = ""
    width: int = 1


@dataclass(frozen=True)
class Source:
    """The user's text and where it came from; turns character offsets into locations."""

    text: str
    path: str = ""

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in _NEWLINE.finditer(self.text)]

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and character column of an offset."""
        row = bisect.bisect_right(self._line_starts, offset) - 1
        return row + 1, offset - self._line_starts[row] + 1

    def line_cols(self, offsets: Iterable[int]) -> Iterator[tuple[int, int]]:
        """line_col of many offsets."""
        return zip(*self.lines_and_cols(offsets), strict=True)

    def lines_and_cols(self, offsets: Iterable[int]) -> tuple[list[int], list[int]]:
        """The lines and the columns of many offsets, each found by a binary search in C: a 10^6-node
        graph's places without a Python step per node."""
        starts = self._line_starts
        offsets = list(offsets)
        lines = list(map(bisect.bisect_right, repeat(starts), offsets))  # the line's index + 1
        cols = map(sub, offsets, map(starts.__getitem__, map(sub, lines, repeat(1))))
        return lines, list(map(add, cols, repeat(1)))

    def locate(self, start: int, end: int | None = None) -> Location:
        line, col = self.line_col(start)
        begin = self._line_starts[line - 1]
        found = _NEWLINE.search(self.text, begin)
        stop = found.start() if found else len(self.text)
        width = max(1, (end if end is not None else start + 1) - start)
        return Location(line, col, self.text[begin:stop], self.path, width)


class BackpropError(Exception):
    """Anything the user can cause. `exit_code` is the process status the CLI maps it to."""

    exit_code = EXIT_INPUT

    def __init__(self, message: str, where: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def render(self, encoding: str = "utf-8") -> str:
        """The `error:` line, then the source line and a caret under the spot, when there is one.

        The source line shows what the user typed (a minus sign U+2212 as itself), but as '?' what
        `encoding` (the stream's) cannot carry, and never a control character.
        """
        where = self.where
        if where is None:
            return f"error: {self.message}"
        prefix = f"{escaped(where.path)}:" if where.path else ""
        head = f"error: {prefix}{where.line}:{where.col}: {self.message}"
        if not where.text:
            return head
        text, col = _visible(where.text, where.col, encoding)
        before = sum(_cells(ch) for ch in text[: col - 1])
        under = sum(_cells(ch) for ch in text[col - 1 : col - 1 + where.width])
        caret = " " * before + "^" * max(1, under)
        return f"{head}\n  {text}\n  {caret}"


def escaped(text: str) -> str:
    """A file name in a message: printable ASCII as is, anything else escaped, so a name holding a
    newline or a terminal escape cannot forge a line of its own in a CI log."""
    return "".join(ch if " " <= ch <= "~" else ascii(ch)[1:-1] for ch in text)


def _visible(text: str, col: int, encoding: str = "utf-8", limit: int = 100) -> tuple[str, int]:
    """Echo user text safely, clipped around col: printable characters the output can encode as
    themselves, anything else (a terminal escape, a character the stream cannot carry) as '?'."""
    shown = "".join(ch if _shown(ch, encoding) else "?" for ch in text.expandtabs(1)[: col + limit])
    start = max(0, col - 1 - limit // 2)
    if start:
        return "..." + shown[start:][:limit], col - start + 3
    return shown[:limit], col


def _shown(ch: str, encoding: str) -> bool:
    if " " <= ch <= "~":
        return True
    if not ch.isprintable():
        return False
    try:
        ch.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _cells(ch: str) -> int:
    """Terminal columns a character takes: two for East Asian wide ones, none for a combining mark."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class InputError(BackpropError):
    """Text, bindings or options that are not a valid program."""


class LimitError(InputError):
    """Input beyond a documented size or depth limit."""


class EvalError(InputError):
    """A value or local gradient that does not exist at this point (log(0), 1/0, overflow, sqrt'(0))."""
