"""Render stage: a Report becomes text. One module per format; RENDERERS is the table of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from .cells import UNICODE, Glyphs


@dataclass(frozen=True)
class Options:
    rows: int | None = 60  # ledger rows shown in the table; None shows all
    glyphs: Glyphs = UNICODE


def lazy(module: str) -> Callable:
    """A format's `render`, imported on first use: rich and the other formats cost start-up time."""

    def render(*args):
        return import_module(f"{__name__}.{module}").render(*args)

    return render


# Each returns a rich renderable (table) or an iterable of str chunks (the others).
RENDERERS: dict[str, Callable] = {"table": lazy("table"), "json": lazy("json"), "markdown": lazy("markdown")}
