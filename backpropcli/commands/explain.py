"""`backprop explain`: the backward pass told step by step, as a worked solution, or as pseudo-code.

The pseudo-code is a program backprop reads back, with a claim for every gradient that passes.
"""

from __future__ import annotations

import functools
import sys

import click

from ..errors import InputError
from ..status import EXIT_FAILED, EXIT_OK
from .output import LANGUAGE_HELP, ProgramCommand, floats_options, program_files, program_options, run_each, save

FORMATS = ("text", "markdown", "latex", "html")


@click.command("explain", cls=ProgramCommand, epilog=LANGUAGE_HELP)
@program_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text (numbered steps), markdown or latex (a worked solution to paste into notes), or html "
    "(one self-contained page that steps through both passes).",
)
@click.option("-o", "--out-file", "target", metavar="PATH", help="Write to PATH instead of stdout ('-' is stdout).")
@click.option(
    "--pseudocode",
    is_flag=True,
    help="Print the lecture-style program (Set Input, Forward Pass, Backward Pass) instead.",
)
@functools.partial(floats_options, digits_help="the steps (pseudo-code holds exact text)")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def explain_command(
    args: tuple[str, ...],
    paths: tuple[str, ...],
    sets: tuple[str, ...],
    output: str | None,
    fmt: str,
    target: str | None,
    pseudocode: bool,
    debug: bool,
    strict_floats: bool = False,
    digits: int = 6,
) -> None:
    """Explain the backward pass of EXPR (or of programs from -f PATH... or stdin), gate by gate.

    Several programs are explained one after another, each under a heading with its path.
    A gradient that does not exist here is told as undefined, with the reason; where floats lost
    the answer (taken again at 700 digits), the explanation ends with a warning.

    \b
      backprop explain "(w+x*y)*z" w=5 x=3 y=2 z=4
      backprop explain -f samples/fanout.bp --format markdown
      backprop explain -f samples/lecture27.bp --format html -o lecture27.html
      backprop explain -f samples/lecture27.bp --pseudocode > mine.bp && backprop eval -f mine.bp
    """
    from ..explain import explain
    from ..parse.bindings import parse_bindings, split_sets
    from ..parse.inputs import program
    from ..pipeline import analyze

    if pseudocode and fmt != "text":
        raise click.UsageError("--pseudocode prints a program; it has no --format")
    files, binding_args = program_files(paths, args)
    settings: dict = {"check": False, "floats": True, "strict_floats": strict_floats}
    render = _renderer("pseudocode" if pseudocode else fmt)

    def write(report) -> None:
        if target not in (None, "-"):
            save("".join(render(explain(report, digits))).encode("utf-8"), target)
            return
        for chunk in render(explain(report, digits)):
            sys.stdout.write(chunk)
        sys.stdout.flush()

    if len(files) > 1:
        if pseudocode or fmt in ("latex", "html") or target not in (None, "-"):
            what = (
                "--pseudocode writes a program"
                if pseudocode
                else "-o writes one document"
                if target not in (None, "-")
                else f"--format {fmt} writes one document"
            )
            raise InputError(f"{what}: give one program, not {len(files)}")
        bindings = parse_bindings(binding_args + split_sets(sets))

        def analyze_one(text: str, name: str):
            return analyze(text, bindings, path=name, output=output, **settings)

        sys.exit(run_each(files, analyze_one, write, fmt, debug))
    text, source_path, rest = program(tuple(binding_args) if files else args, files[0] if files else None)
    bindings = parse_bindings(list(rest) + split_sets(sets))
    report = analyze(text, bindings, path=source_path, output=output, **settings)
    write(report)
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


def _renderer(name: str):
    from ..render.explain import latex as explain_latex
    from ..render.explain import markdown as explain_markdown
    from ..render.explain import pseudocode as explain_pseudocode
    from ..render.explain import text as explain_text
    from ..render.html import page as html_page

    table = {
        "text": explain_text,
        "markdown": explain_markdown,
        "latex": explain_latex,
        "pseudocode": explain_pseudocode,
        "html": html_page,
    }
    return table[name].render
