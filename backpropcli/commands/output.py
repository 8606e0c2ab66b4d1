"""What every command shares: exit statuses, output formats, and writing a rendering to stdout."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from ..errors import InputError

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMATS = ("table", "json", "markdown")

LANGUAGE_HELP = """\b
Language: an expression such as (w+x*y)*z, or a program of statements, one per
line or separated by ';', with # comments. `name = <number>` is an input,
`name = <expression>` an intermediate; the last intermediate is the output.
Lines `d<out>d<node> = expr` (dfdu = z) are hand-written gradient claims.
Operators + - * / ** (and ^, the same as **: right-associative, binding tighter
than unary minus), parentheses; functions exp log sqrt sin cos tan tanh sigmoid
relu abs pow max min (max/min take 2 or more arguments); constants pi and e.

\b
Bindings: name=value, positional or with --set a=1,b=2; they override the
program's own inputs. Values: integers, decimals, scientific notation, fractions
such as 1/3, with an optional sign. Integer and fraction inputs stay exact.

\b
Exit status: 0 all checks pass, 1 a cross-check or claim fails, 2 bad input
or usage, 130 interrupted."""



def rows_option(text: str) -> int | None:
    if text == "all":
        return None
    if not text.isdigit():
        raise InputError(f"--rows takes a number or 'all', not {text!a}")
    return int(text)


def glyphs():
    from ..render.cells import ASCII, UNICODE

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        (UNICODE.ok + UNICODE.bad + UNICODE.kink + UNICODE.skip + UNICODE.partial + UNICODE.times + "\u2500").encode(
            encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return UNICODE


def emit(report, fmt: str, rows: int | None) -> None:
    from ..render import RENDERERS, Options

    rendered = RENDERERS[fmt](report, Options(rows=rows, glyphs=glyphs()))
    if isinstance(rendered, Iterable) and not hasattr(rendered, "__rich_console__"):
        write = sys.stdout.write
        for chunk in rendered:
            write(chunk)
        sys.stdout.flush()
        return
    from rich.console import Console

    Console(highlight=False, soft_wrap=False).print(rendered)
