"""The command-line shell: options in, `analyze` called, text out, errors mapped to exit codes.

The only module that knows argv, stdout, stderr, colour and exit statuses.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable

import click

from . import __version__
from .errors import BackpropError, InputError

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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="backprop")
def main() -> None:
    """Backpropagation at the level of single gates, cross-checked with sympy."""


def rows_option(text: str) -> int | None:
    if text == "all":
        return None
    if not text.isdigit():
        raise InputError(f"--rows takes a number or 'all', not {text!a}")
    return int(text)


def glyphs():
    from .render.cells import ASCII, UNICODE

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        (UNICODE.ok + UNICODE.bad + UNICODE.kink + UNICODE.skip + UNICODE.partial + UNICODE.times + "\u2500").encode(
            encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return UNICODE


def emit(report, fmt: str, rows: int | None) -> None:
    from .render import RENDERERS, Options

    rendered = RENDERERS[fmt](report, Options(rows=rows, glyphs=glyphs()))
    if isinstance(rendered, Iterable) and not hasattr(rendered, "__rich_console__"):
        write = sys.stdout.write
        for chunk in rendered:
            write(chunk)
        sys.stdout.flush()
        return
    from rich.console import Console

    Console(highlight=False, soft_wrap=False).print(rendered)


# Each command lives in its own module under commands/; registering it is one line here.
from .commands.eval import eval_command  # noqa: E402

main.add_command(eval_command)


def run() -> None:
    """Entry point: the one error boundary."""
    debug = "--debug" in sys.argv[1:]
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
        sys.stderr.reconfigure(errors="backslashreplace")
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see {exc.ctx.command_path} --help)"
        _fail(f"error: {exc.format_message()}{hint}", EXIT_INPUT)
    except click.Abort:
        _fail("error: interrupted", EXIT_INTERRUPTED)
    except BackpropError as exc:
        if debug:
            raise
        _fail(exc.render(), exc.exit_code)
    except KeyboardInterrupt:
        _fail("error: interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # the reader went away (backprop ... | head): stop quietly; point stdout at devnull so the
        # interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FAILED)


def _fail(message: str, code: int) -> None:
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr)
    sys.exit(code)
