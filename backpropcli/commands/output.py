"""What every command shares: output formats, writing renderings to stdout, progress."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable

import click

from ..errors import BackpropError, InputError, escaped
from ..status import EXIT_FAILED, EXIT_OK

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
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"--rows takes a number or 'all', not {text!a}")
    return int(text)


def json_options(fmt: str, detail: str | None, version: str | None) -> dict:
    """--json and --json-version as renderer options; they shape JSON output only."""
    if (detail or version) and fmt != "json":
        raise InputError("--json and --json-version apply to --format json")
    if detail == "summary" and version:
        raise InputError("--json-version picks the full document's version; the summary has one (--json summary)")
    return {"json": detail or "full", "json_version": int(version or 2)}


def stdin_once(paths: Iterable[str]) -> None:
    """Refuse '-' given twice: the first read takes all of stdin and would leave the second empty."""
    if list(paths).count("-") > 1:
        raise InputError("stdin ('-') is given more than once, but it can be read only once")


def glyphs():
    from ..render.cells import ASCII, UNICODE

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        (
            UNICODE.ok
            + UNICODE.bad
            + UNICODE.kink
            + UNICODE.skip
            + UNICODE.partial
            + UNICODE.times
            + UNICODE.delta
            + UNICODE.levels
            + "\u2500"
        ).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII
    return UNICODE


def emit(report, fmt: str, rows: int | None, one_line: bool = False, shape: dict | None = None) -> None:
    """Write one report. `one_line` puts a JSON document on a single line, for JSON Lines; `shape`
    holds the JSON options (json_options)."""
    from ..render.eval import RENDERERS, Options

    rendered = RENDERERS[fmt](report, Options(rows=rows, glyphs=glyphs(), **(shape or {})))
    if isinstance(rendered, Iterable) and not hasattr(rendered, "__rich_console__"):
        write = sys.stdout.write
        for chunk in rendered:
            # json.dumps escapes every control character inside strings, so the only raw newlines
            # in a document are whitespace between tokens: dropping them keeps the same document
            write(chunk.replace("\n", "") if one_line else chunk)
        if one_line:
            write("\n")
        sys.stdout.flush()
        return
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    from ..render.fit import fitted

    console.print(fitted(rendered, console), crop=False)


def write_out(chunks: Iterable) -> None:
    """Rendered output to stdout: strings as they are, rich renderables through one console."""
    console = None
    for chunk in chunks:
        if isinstance(chunk, str):
            sys.stdout.write(chunk)
            continue
        if console is None:
            from rich.console import Console

            from ..render.fit import fitted

            console = Console(highlight=False, soft_wrap=False)
        console.print(fitted(chunk, console), crop=False)
    sys.stdout.flush()


def save(data: bytes, target: str | None) -> None:
    """A file the user asked for: to stdout for None or '-', else to the path, exactly these bytes."""
    if target is None or target == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        with open(target, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise InputError(f"cannot write {target!a}: {exc.strerror or exc}") from None


def emit_each(outcomes: Iterable[tuple[str, object]], fmt: str, rows: int | None, shape: dict | None = None) -> int:
    """Several programs in one process, each written as soon as it is done; returns the exit status.

    Table and Markdown output put a heading with the path before each program; JSON is JSON Lines,
    one document per program. A program that is bad input gets its `error:` line on stderr and no
    output, and the others still run. The status is the worst one: 2 (bad input) > 1 (a failed
    check or claim) > 0.
    """
    worst = EXIT_OK
    for k, (path, outcome) in enumerate(outcomes):
        if isinstance(outcome, BackpropError):
            sys.stdout.flush()
            print(error_text(path, outcome), file=sys.stderr, flush=True)
            worst = max(worst, outcome.exit_code)
            continue
        _heading(fmt, path, first=k == 0)
        emit(outcome, fmt, rows, one_line=fmt == "json", shape=shape)
        worst = max(worst, EXIT_OK if outcome.ok else EXIT_FAILED)
    return worst


def error_text(path: str, error: BackpropError) -> str:
    """The error's own rendering (it names the file when it has a location); else the path first."""
    if error.where is not None and error.where.path:
        return error.render()
    return f"error: {escaped(path)}: {error.message}"


def _heading(fmt: str, path: str, first: bool) -> None:
    shown = escaped(path)
    if fmt == "markdown":
        sys.stdout.write(("" if first else "\n") + f"## {shown}\n\n")
    elif fmt == "table":
        sys.stdout.write(("" if first else "\n") + f"==> {shown} <==\n")
    sys.stdout.flush()


class Progress:
    """A transient progress bar on stderr, shown only on a terminal and only once a run passes a second.

    Called as progress(stage, done, total) by the stages; total 0 means a stage of unknown length.
    A timer thread shows the bar, so a quick run never imports rich for it.
    """

    DELAY = 1.0

    def __init__(self, enabled: bool) -> None:
        import threading  # here, not at the top: `backprop --version` should not pay for it

        self.enabled = enabled
        self.lock = threading.Lock()
        self.state = ("starting", 0, 0)
        self.bar = None
        self.task = None
        self.closed = False
        self.timer = threading.Timer(self.DELAY, self._show)
        self.timer.daemon = True

    def __enter__(self) -> Progress:
        if self.enabled:
            self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None:
        with self.lock:
            same = stage == self.state[0]
            self.state = (stage, done, total)
            if self.bar is None:
                return
            if same:
                self.bar.update(self.task, completed=done)
            else:  # a new task per stage: its own clock, and a pulsing bar when the length is unknown
                self.bar.remove_task(self.task)
                self.task = self.bar.add_task(stage, total=total or None, completed=done)

    def writing(self) -> None:
        """Output is next: on a terminal the bar goes first, so the two never mix; else it stays up."""
        if sys.stdout.isatty():
            self.close()
        else:
            self("writing output")

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self.timer.cancel()
            if self.bar is not None:
                self.bar.stop()
                self.bar = None

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        with self.lock:
            if self.closed:
                return
            stage, done, total = self.state
            self.bar = Bar(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self.task = self.bar.add_task(stage, total=total or None, completed=done)
            self.bar.start()


def program_options(command: Callable) -> Callable:
    """The inputs of a command that reads one program: EXPR or -f PATH, with bindings and --output."""
    options = [
        click.argument("args", nargs=-1, metavar="[EXPR|-] [NAME=VALUE]..."),
        click.option("-f", "--file", "path", metavar="PATH", help="Read the program from PATH ('-' is stdin)."),
        click.option("--set", "sets", multiple=True, metavar="NAME=VALUE[,...]", help="Bind inputs (repeatable)."),
        click.option(
            "--output", metavar="NAME", help="The output node (default: the last intermediate; f for an expression)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
