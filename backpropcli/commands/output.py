"""What every command shares: output formats, writing renderings to stdout, progress."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import click

from ..errors import BackpropError, InputError, escaped
from ..status import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from rich.progress import Progress as Bar
    from rich.progress import TaskID

    from ..pipeline import Report

FORMATS = ("table", "json", "markdown")

LANGUAGE_HELP = """\b
Language: an expression such as (w+x*y)*z, or a program of statements, one per
line or separated by ';', with # comments. `name = <number>` is an input,
`name = <expression>` an intermediate; the last intermediate is the output.
Lines `d<out>d<node> = expr` (dfdu = z) are hand-written gradient claims.
Operators + - * / % ** (% is Python's modulo; ^ is the same as **:
right-associative, binding tighter than unary minus), parentheses; functions exp
log sqrt sin cos tan tanh sigmoid relu abs pow max min floor ceil mod (max/min
take 2 or more arguments; `backprop ops` lists them all); constants pi and e.

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


def tolerance(tol: float) -> None:
    """--tol as every command takes it; nan and inf would pass anything."""
    if not 0 < tol < 1:
        raise InputError(f"--tol takes a relative tolerance above 0 and below 1 (such as 1e-9), not {tol:g}")


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
            + UNICODE.cut
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
    write_out([rendered])


def write_out(chunks: Iterable) -> None:
    """Rendered output to stdout: strings as they are, rich renderables through one console."""
    console = None
    for chunk in chunks:
        if isinstance(chunk, str):
            sys.stdout.write(chunk)
            continue
        if console is None:
            from rich.console import Console

            from ..render.show import show

            console = Console(highlight=False, soft_wrap=False)
        show(chunk, console)
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


def emit_each(
    outcomes: Iterable[tuple[str, Report | BackpropError]], fmt: str, rows: int | None, shape: dict | None = None
) -> int:
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
        return error.render(getattr(sys.stderr, "encoding", None) or "ascii")
    return f"error: {escaped(path)}: {error.message}"


# How a heading before each of several programs reads, by output format; json is JSON Lines instead.
HEADINGS = {"markdown": "## {}\n\n", "table": "==> {} <==\n", "text": "==> {} <==\n", "tree": "==> {} <==\n"}


def _heading(fmt: str, path: str, first: bool) -> None:
    if fmt in HEADINGS:
        sys.stdout.write(("" if first else "\n") + HEADINGS[fmt].format(escaped(path)))
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
        self.bar: Bar | None = None
        self.task: TaskID | None = None
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
            if self.bar is None or self.task is None:  # the task is made with the bar
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


class ProgramCommand(click.Command):
    """A command whose operands may start with '-': an argument that is none of its options is an
    operand, so `backprop eval "-x^2" x=3` reads -x^2 as the expression. One that starts with '--'
    is never an expression: it is refused as an unknown option."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["context_settings"] = {**kwargs.get("context_settings", {}), "ignore_unknown_options": True}
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known = {name for param in self.get_params(ctx) for name in (*param.opts, *param.secondary_opts)}
        for arg in args[: args.index("--")] if "--" in args else args:  # after --, every word is an operand
            if arg.startswith("--") and len(arg) > 2 and arg.split("=", 1)[0] not in known:
                raise click.NoSuchOption(arg.split("=", 1)[0], ctx=ctx)
        return super().parse_args(ctx, args)


FILE_HELP = (
    "Read a program from PATH ('-' is stdin); repeatable, and further paths may follow it: "
    "-f a.bp b.bp, -f samples/*.bp."
)


def file_option(command: Callable, bindings: bool = True) -> Callable:
    """-f PATH: the same option in every command that reads programs."""
    tail = " Then the other arguments are bindings (NAME=VALUE)." if bindings else ""
    return click.option("-f", "--file", "paths", multiple=True, metavar="PATH", help=FILE_HELP + tail)(command)


def paths_option(command: Callable) -> Callable:
    """-f PATH for a command whose arguments are all paths."""
    return file_option(command, bindings=False)


def program_options(command: Callable) -> Callable:
    """The inputs of a command that reads programs: EXPR or -f PATH..., with bindings and --output."""
    options: list[Callable[[Callable], Callable]] = [
        click.argument("args", nargs=-1, metavar="[EXPR|-|PATH...] [NAME=VALUE]..."),
        file_option,
        click.option("--set", "sets", multiple=True, metavar="NAME=VALUE[,...]", help="Bind inputs (repeatable)."),
        click.option(
            "--output", metavar="NAME", help="The output node (default: the last intermediate; f for an expression)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def floats_options(command: Callable, digits_help: str) -> Callable:
    """--strict-floats and --digits, the same options in check, eval and explain."""
    options: list[Callable[[Callable], Callable]] = [
        click.option(
            "--strict-floats", is_flag=True, help="Fail a file where floats lost the answer (else it is a warning)."
        ),
        click.option(
            "--digits",
            type=click.IntRange(1, 17),
            default=6,
            show_default=True,
            help=f"Significant digits of float values in {digits_help}.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def program_files(paths: tuple[str, ...], args: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The program files (-f PATH and the paths after it) and the bindings among the arguments.

    Without -f there are no files: the first argument is the expression (or '-'), the rest bindings.
    """
    stdin_once([*paths, *args])  # '-' as a path or the program; nowhere else is it valid either
    if not paths:
        return [], list(args)
    return [*paths, *(a for a in args if "=" not in a)], [a for a in args if "=" in a]


def run_each(files: list[str], analyze_one: Callable, write_one: Callable, fmt: str, debug: bool) -> int:
    """Several programs in one process, each under a heading with its path; returns the exit status.

    A program that is bad input gets its `error:` line on stderr and no output, and the others
    still run. The status is the worst one: 2 (bad input) > 1 (a failed claim) > 0.
    """
    from ..parse.inputs import read_input

    worst = EXIT_OK
    for k, path in enumerate(files):
        name = "<stdin>" if path == "-" else path
        try:
            report = analyze_one(read_input(path), name)
        except BackpropError as exc:
            if debug:
                raise
            sys.stdout.flush()
            print(error_text(name, exc), file=sys.stderr, flush=True)
            worst = max(worst, exc.exit_code)
            continue
        _heading(fmt, name, first=k == 0)
        write_one(report)
        worst = max(worst, EXIT_OK if report.ok else EXIT_FAILED)
    return worst
