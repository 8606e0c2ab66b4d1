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
from .errors import BackpropError, InputError, Location

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_INPUT_BYTES = 64 * 1024 * 1024
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


@main.command("eval", epilog=LANGUAGE_HELP)
@click.argument("args", nargs=-1, metavar="[EXPR|-] [NAME=VALUE]...")
@click.option("-f", "--file", "path", metavar="PATH", help="Read the program from PATH ('-' is stdin).")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE[,...]", help="Bind inputs (repeatable).")
@click.option("--output", metavar="NAME", help="The output node (default: the last intermediate; f for an expression).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table (rich), json (schema backprop.eval v1) or markdown.")
@click.option("--no-check", is_flag=True, help="Skip the sympy cross-check (sympy is then not imported).")
@click.option("--tol", type=float, default=1e-9, show_default=True, help="Relative tolerance for float checks.")
@click.option("--budget", type=float, default=20.0, show_default=True, help="Seconds allowed for the sympy checks.")
@click.option("--rows", default="60", show_default=True, metavar="N|all",
              help="Ledger rows shown in table and markdown output; failures and kinks come first.")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def eval_command(args: tuple[str, ...], path: str | None, sets: tuple[str, ...], output: str | None, fmt: str,
                 no_check: bool, tol: float, budget: float, rows: str, debug: bool) -> None:
    """Evaluate EXPR (or a program from -f PATH or stdin) and show its gradients gate by gate.

    \b
      backprop eval "(w+x*y)*z" w=5 x=3 y=2 z=4
      backprop eval "(w+x*y)*z" --set w=5,x=3 --set y=2,z=4
      backprop eval -f samples/lecture27.bp
      cat samples/lecture27.bp | backprop eval -
    """
    from .bindings import parse_bindings, split_sets
    from .pipeline import analyze

    text, source_path, binding_args = _program(args, path)
    bindings = parse_bindings(list(binding_args) + split_sets(sets))
    if not tol > 0 or not budget > 0:
        raise InputError("--tol and --budget must be positive numbers")
    report = analyze(text, bindings, path=source_path, output=output, check=not no_check, tol=tol,
                     budget=budget)
    _emit(report, fmt, _rows(rows))
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


def _rows(text: str) -> int | None:
    if text == "all":
        return None
    if not text.isdigit():
        raise InputError(f"--rows takes a number or 'all', not {text!a}")
    return int(text)


def _program(args: tuple[str, ...], path: str | None) -> tuple[str, str, tuple[str, ...]]:
    """The program text, a name for it in messages, and the remaining positional bindings."""
    if path is not None:
        return read_input(path), ("<stdin>" if path == "-" else path), args
    if not args:
        raise InputError("no expression given: pass EXPR, '-' for stdin, or -f PATH (see backprop eval --help)")
    if args[0] == "-":
        return read_input("-"), "<stdin>", args[1:]
    if len(args[0].encode("utf-8", "surrogateescape")) > MAX_INPUT_BYTES:
        raise InputError("the expression is larger than the input limit")
    return args[0], "", args[1:]


def read_input(path: str) -> str:
    """Bytes from a file or stdin, capped while reading, decoded as UTF-8 (a BOM is allowed)."""
    try:
        if path == "-":
            stream = sys.stdin.buffer if sys.stdin is not None else None
            if stream is None:
                raise InputError("stdin is closed: nothing to read")
            data = stream.read(MAX_INPUT_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except IsADirectoryError:
        raise InputError(f"{path!a} is a directory, not a program file") from None
    except FileNotFoundError:
        raise InputError(f"no such file: {path!a}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path!a}: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"the input is larger than the limit of {MAX_INPUT_BYTES // 2**20} MiB")
    return _decode(data, "<stdin>" if path == "-" else path)


def _decode(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        raise InputError(f"the input is not UTF-8 (byte 0x{data[exc.start]:02x})",
                         Location(line, col, "", name)) from None
    if not text.strip():
        raise InputError(f"the input is empty ({name})")
    return text


def _glyphs():
    from .render.cells import ASCII, UNICODE

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        (UNICODE.ok + UNICODE.bad + UNICODE.kink + UNICODE.skip + UNICODE.partial + UNICODE.times + "\u2500").encode(
            encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return UNICODE


def _emit(report, fmt: str, rows: int | None) -> None:
    from .render import RENDERERS, Options

    rendered = RENDERERS[fmt](report, Options(rows=rows, glyphs=_glyphs()))
    if isinstance(rendered, Iterable) and not hasattr(rendered, "__rich_console__"):
        write = sys.stdout.write
        for chunk in rendered:
            write(chunk)
        sys.stdout.flush()
        return
    from rich.console import Console

    Console(highlight=False, soft_wrap=False).print(rendered)


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
