"""`backprop eval` output: a Report becomes text. One module per format; RENDERERS is the table of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..cells import UNICODE, Glyphs


@dataclass(frozen=True)
class Options:
    rows: int | None = 60  # ledger rows shown in the table; None shows all
    glyphs: Glyphs = UNICODE
    json: str = "full"  # json output: the full document or its summary
    json_version: int = 2  # the full document's schema version
    digits: int = 6  # significant digits of float values in the table and Markdown


def _table(report, options):
    from .table import render

    return render(report, options)


def _json(report, options):
    from .json import render

    return render(report, options)


def _markdown(report, options):
    from .markdown import render

    return render(report, options)


# Each returns a rich renderable (table) or an iterable of str chunks (the others).
RENDERERS: dict[str, Callable] = {"table": _table, "json": _json, "markdown": _markdown}
