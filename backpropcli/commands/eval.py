"""`backprop eval`: programs, their gradients gate by gate, cross-checked; several files in one process."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from ..errors import BackpropError, InputError
from ..status import EXIT_FAILED, EXIT_OK
from .output import (
    FORMATS,
    LANGUAGE_HELP,
    ProgramCommand,
    Progress,
    emit,
    emit_each,
    file_option,
    floats_options,
    json_options,
    program_files,
    rows_option,
    tolerance,
)

if TYPE_CHECKING:
    from ..pipeline import Report

MANY_HELP = """\b
Several programs: repeat -f, or list more paths after it (backprop eval -f
a.bp b.bp, or -f homework/*.bp); the bindings apply to every program. They run
in one process, in the order given, each written as soon as it is done: table
and markdown output put a heading with the path before each program (==> path
<== and ## path); json output is JSON Lines, one document per program. A bad
program gets its error: line on stderr and no output, and the rest still run.
The exit status is the worst: 2 (bad input) > 1 (a failed check) > 0."""

HONEST_HELP = """\b
A gradient that does not exist here (df/dn of x**n at x < 0, where a slope on
its way is missing) is shown as undefined, null in JSON with the reason; every
other gradient is shown as usual. It is not a failed check (exit 0): only a
claim about it fails. Values and gradients are also taken again at 700 digits
(programs up to 400 nodes, within --budget): where floats lost the answer, a
warning names the node, and --strict-floats makes it a failure (exit 1)."""


@click.command("eval", cls=ProgramCommand, epilog=MANY_HELP + "\n\n" + HONEST_HELP + "\n\n" + LANGUAGE_HELP)
@click.argument("args", nargs=-1, metavar="[EXPR|-|PATH...] [NAME=VALUE]...")
@file_option
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE[,...]", help="Bind inputs (repeatable).")
@click.option("--output", metavar="NAME", help="The output node (default: the last intermediate; f for an expression).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table (rich), json (schema backprop.eval v2, see --json-version) or markdown.",
)
@click.option(
    "--json",
    "json_detail",
    type=click.Choice(("full", "summary")),
    help="With --format json: the full document (default), or a summary: the value, the input gradients, "
    "the check counts and what failed (schema backprop.eval.summary), for huge graphs.",
)
@click.option(
    "--json-version",
    type=click.Choice(("1", "2")),
    help="With --format json: the full document's schema version, 2 (default: columns) or 1 (a record "
    "per node and edge, deprecated; pin it where a reader expects it).",
)
@click.option("--no-check", is_flag=True, help="Skip the sympy cross-check (sympy is then not imported).")
@click.option("--tol", type=float, default=1e-9, show_default=True, help="Relative tolerance for float checks.")
@click.option(
    "--budget",
    type=float,
    default=20.0,
    show_default=True,
    help="Seconds allowed for the sympy checks of each program; what is left is reported as skipped.",
)
@click.option(
    "--rows",
    default="60",
    show_default=True,
    metavar="N|all",
    help="Rows shown per table in table and markdown output: failures, kinks and the largest "
    "gradients first, then a count of the rest.",
)
@functools.partial(floats_options, digits_help="the table and Markdown (json holds exact text)")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def eval_command(
    args: tuple[str, ...],
    paths: tuple[str, ...],
    sets: tuple[str, ...],
    output: str | None,
    fmt: str,
    no_check: bool,
    tol: float,
    budget: float,
    rows: str,
    json_detail: str | None,
    json_version: str | None,
    debug: bool,
    strict_floats: bool = False,
    digits: int = 6,
) -> None:
    """Evaluate EXPR (or programs from -f PATH or stdin) and show the gradients gate by gate.

    \b
      backprop eval "(w+x*y)*z" w=5 x=3 y=2 z=4
      backprop eval "(w+x*y)*z" --set w=5,x=3 --set y=2,z=4
      backprop eval -f samples/lecture27.bp
      backprop eval -f samples/*.bp --format json
      cat samples/lecture27.bp | backprop eval -
      backprop eval "-x^2" x=3
    """
    from ..parse.bindings import parse_bindings, split_sets

    tolerance(tol)
    if not 0 < budget <= 1e6:  # also refuses nan and inf
        raise InputError(f"--budget takes a number of seconds above 0 and at most 1e6, not {budget:g}")
    files, binding_args = program_files(paths, args)
    settings = {"output": output, "check": not no_check, "tol": tol, "budget": budget, "strict_floats": strict_floats}
    limit = rows_option(rows)
    shape = {**json_options(fmt, json_detail, json_version), "digits": digits}
    if len(files) > 1:
        bindings = parse_bindings(binding_args + split_sets(sets))
        sys.exit(emit_each(_each(files, bindings, settings, debug), fmt, limit, shape))
    from ..parse.inputs import program

    text, source_path, rest = program(tuple(binding_args) if files else args, files[0] if files else None)
    bindings = parse_bindings(list(rest) + split_sets(sets))
    with Progress(sys.stderr.isatty()) as progress:
        report = _analyze(text, bindings, source_path, settings, progress)
        emit(report, fmt, limit, shape=shape)
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


def _analyze(text: str, bindings: dict, path: str, settings: dict, progress: Progress):
    from ..pipeline import analyze

    report = analyze(text, bindings, path=path, progress=progress, **settings)
    progress.writing()
    return report


def _each(
    files: list[str], bindings: dict, settings: dict, debug: bool
) -> Iterator[tuple[str, Report | BackpropError]]:
    """Each program's report, or the error that stopped it, one at a time: only one is in memory.

    The caller writes a report while the generator waits at `yield`, inside its progress bar.
    """
    from ..parse.inputs import read_input

    for path in files:
        name = "<stdin>" if path == "-" else path
        try:
            with Progress(sys.stderr.isatty()) as progress:
                yield name, _analyze(read_input(path), bindings, name, settings, progress)
        except BackpropError as exc:
            if debug:
                raise
            yield name, exc
