"""`backprop check --format github`: one workflow-command annotation per failing line.

User text (paths, messages) is escaped by GitHub's workflow-command rules, and never starts a
line, so a program cannot inject commands into the CI log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ...grading import FileResult, warning_kind
from ..cells import Glyphs
from .rows import error_location, rows

_DATA = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY = {**_DATA, ":": "%3A", ",": "%2C"}


def escape(text: str, table: dict[str, str] = _DATA) -> str:
    """GitHub's escaping for a command's message (or, with _PROPERTY, a property); other
    control characters become '?'."""
    return "".join(table.get(ch, ch if ch.isprintable() else "?") for ch in text)


def annotation(path: str, line: int | None, col: int | None, title: str, message: str, kind: str = "error") -> str:
    props = [f"file={escape(path, _PROPERTY)}"]
    if line is not None:
        props.append(f"line={line}")
    if col is not None:
        props.append(f"col={col}")
    props.append(f"title={escape(title, _PROPERTY)}")
    return f"::{kind} {','.join(props)}::{escape(message)}\n"


def render(results: Iterable[FileResult], glyphs: Glyphs) -> Iterator[str]:
    for result in results:
        if result.error is not None:
            line, col = error_location(result)
            yield annotation(result.path, line, col, "backprop check: bad input", result.error.message)
            continue
        for warning in result.warnings:
            yield annotation(result.path, None, None, f"backprop check: {warning_kind(warning)}", warning, "warning")
        for row in rows(result, 17):
            if not row.ok:
                written = row.written or "nothing"
                message = f"{row.claim}: {row.verdict} (written {written}, true {row.true}): {row.why}"
                yield annotation(result.path, row.line, row.col, f"{row.claim}: {row.verdict}", message)
