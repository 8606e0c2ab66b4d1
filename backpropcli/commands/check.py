"""`backprop check`: grade hand-written backward passes in many program files, for people and for CI."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import click

from ..status import EXIT_FAILED, EXIT_INPUT, EXIT_OK
from .output import (
    ProgramCommand,
    error_text,
    floats_options,
    glyphs,
    paths_option,
    stdin_once,
    tolerance,
    write_out,
)


def _table(results, g, quiet=False, digits=6):
    from ..render.check.table import render

    return render(results, g, quiet, digits)


def _json(results, g, quiet=False):  # a machine format: the same document, quiet or not
    from ..render.check.json import render

    return render(results, g)


def _github(results, g, quiet=False):  # a machine format: the same document, quiet or not
    from ..render.check.github import render

    return render(results, g)


def _junit(results, g, quiet=False):  # a machine format: the same document, quiet or not
    from ..render.check.junit import render

    return render(results, g)


# Each yields rich renderables (table) or str chunks (the others), one file at a time.
CHECK_FORMATS: dict[str, Callable] = {"table": _table, "json": _json, "github": _github, "junit": _junit}
MACHINE = ("json", "junit")  # formats whose stdout must stay one parseable document

HELP_EPILOG = """\b
Each claim `d<a>d<b> = expr` (a local gradient when a is not the output; `d<b>`
alone under `# backprop: output f`) gets a verdict; a `+=` line is one edge:
  correct      right value, and the formula is the true gradient as a function
  numeric      a plain number with the right value
  wrong        the step itself is wrong; the message says what the local rule gives
  inherited    the step is right, but an earlier wrong claim it uses makes it off
  coincidence  right value here, but not the true gradient as a function nearby
  missing      (--require-all) an input or intermediate without a claim
  duplicate    a += line adding an edge an earlier line added
  incomplete   a += sum missing an edge's contribution
  undefined    the gradient it claims does not exist here (the others are graded)
  error        its formula reads a name nothing defines (exit 2; the others are graded)
At a kink, any value between the one-sided derivatives passes, and claims at one
kink must fit one subgradient together (at a tie of max, shares adding up to the upstream).

\b
Exit status: 0 every claim passes, 1 some claim fails, 2 some file is bad input
(it is reported on stderr with line and caret; the other files are still checked)."""


@dataclass
class _Tally:
    """Running totals over the files, for the closing line and the exit status."""

    passed: int = 0
    failed: int = 0
    errors: int = 0  # files that were bad input: not checked
    bad_claims: int = 0  # claims that read an unknown name: counted as failed, and bad input


@click.command("check", cls=ProgramCommand, epilog=HELP_EPILOG)
@click.argument("args", nargs=-1, metavar="PATH... [NAME=VALUE]...")
@paths_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(tuple(CHECK_FORMATS)),
    default="table",
    show_default=True,
    help="table, json (schema backprop.check v1), github (workflow annotations) or junit (XML).",
)
@click.option("--require-all", is_flag=True, help="Fail a file where some input or intermediate has no claim.")
@click.option(
    "--output",
    metavar="NAME",
    help="The output node of every file (default: its directive `# backprop: output NAME`, else its last "
    "intermediate); d<node> then means dNAME/d<node>.",
)
@click.option("--tol", type=float, default=1e-9, show_default=True, help="Relative tolerance for float values.")
@click.option(
    "--set", "sets", multiple=True, metavar="NAME=VALUE[,...]", help="Bind inputs in every file (repeatable)."
)
@click.option("-q", "--quiet", is_flag=True, help="Table output: only the failing lines and the closing line.")
@functools.partial(floats_options, digits_help="the table (github and junit show 17, json exact text)")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def check_command(
    args: tuple[str, ...],
    paths: tuple[str, ...],
    fmt: str,
    require_all: bool,
    output: str | None,
    tol: float,
    sets: tuple[str, ...],
    quiet: bool,
    debug: bool,
    strict_floats: bool = False,
    digits: int = 6,
) -> None:
    """Grade the hand-written backward pass in each PATH, line by line.

    A PATH (given as an argument or after -f) may be a program file, a directory (its *.bp files,
    in its subdirectories too, sorted) or '-' for stdin. The closing line counts the claims that
    passed and failed, and the files that could not be checked.

    \b
      backprop check samples/lecture27.bp
      backprop check homework/ --require-all
      backprop check homework/ --format github
      backprop check answer.bp x=3 y=-4        # bind inputs the files leave open
    """
    from ..grading import expand
    from ..parse.bindings import parse_bindings, split_sets

    tolerance(tol)
    paths = (*paths, *args)
    bindings = parse_bindings([a for a in paths if "=" in a] + split_sets(sets))  # NAME=VALUE among the paths
    paths = tuple(a for a in paths if "=" not in a)
    if not paths:
        raise click.UsageError("no PATH given: a program file, a directory or '-' for stdin (NAME=VALUE binds)")
    stdin_once(paths)
    tally = _Tally()
    results = _graded(
        expand(paths),
        tally,
        output=output,
        tol=tol,
        require_all=require_all,
        debug=debug,
        bindings=bindings,
        strict_floats=strict_floats,
    )
    write_out(
        CHECK_FORMATS[fmt](results, glyphs(), quiet, digits)
        if fmt == "table"
        else CHECK_FORMATS[fmt](results, glyphs(), quiet)
    )
    from ..render.check.rows import closing_line

    print(
        closing_line(tally.passed, tally.failed, tally.errors),
        file=sys.stderr if fmt in MACHINE else sys.stdout,
        flush=True,
    )
    sys.exit(EXIT_INPUT if tally.errors or tally.bad_claims else EXIT_FAILED if tally.failed else EXIT_OK)


def _graded(paths: list[str], tally: _Tally, *, debug: bool, **options) -> Iterator:
    """Grade file by file, as the renderer asks for them; report a bad file on stderr as it comes."""
    from ..grading import grade_file

    for path in paths:
        result = grade_file(path, **options)
        if result.error is not None:
            if debug:
                raise result.error
            print(error_text(result.path, result.error), file=sys.stderr, flush=True)
            tally.errors += 1
        for claim in result.claims:  # a claim that reads an unknown name: bad input on its line
            if claim.claim.error is not None:
                print(error_text(result.path, claim.claim.error), file=sys.stderr, flush=True)
                tally.bad_claims += 1
        tally.passed += result.passed
        tally.failed += result.failed
        yield result
