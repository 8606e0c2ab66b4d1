"""A report's text for the library API: the same renderers as the command line, to strings."""

from __future__ import annotations

import io

from . import RENDERERS, Options


def _json(report):
    return RENDERERS["json"](report, Options())


def _markdown(report, rows):
    return RENDERERS["markdown"](report, Options(rows=rows))


def _text(report, rows, width: int) -> str:
    """What `backprop eval` prints at this width, without colour."""
    from rich.console import Console

    from ..show import show

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, highlight=False, soft_wrap=False)
    show(RENDERERS["table"](report, Options(rows=rows)), console)
    return buffer.getvalue()


RENDER = {"json": _json, "markdown": _markdown, "text": _text}
