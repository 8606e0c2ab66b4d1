"""`backprop graph`: the computational graph with every value and gradient, to read or to draw.

tree (rich, in the terminal), dot (Graphviz source), mermaid (GitHub and Markdown viewers), and
svg or png laid out by Graphviz's dot program. An image goes to -o PATH, or to stdout when stdout
is a file or a pipe; it is never written into a terminal.
"""

from __future__ import annotations

import io
import sys

import click

from ..errors import InputError
from ..status import EXIT_FAILED, EXIT_OK
from .output import LANGUAGE_HELP, ProgramCommand, program_files, program_options, run_each, save

FORMATS = ("tree", "dot", "mermaid", "svg", "png", "html")
IMAGES = ("svg", "png")


@click.command("graph", cls=ProgramCommand, epilog=LANGUAGE_HELP)
@program_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="tree",
    show_default=True,
    help="tree (terminal), dot (Graphviz source), mermaid, svg/png drawn by Graphviz's dot, or html "
    "(the page of explain --format html).",
)
@click.option(
    "-o",
    "--out-file",
    "target",
    metavar="PATH",
    help="Write to PATH instead of stdout ('-' is stdout, also for an image on a terminal).",
)
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def graph_command(
    args: tuple[str, ...],
    paths: tuple[str, ...],
    sets: tuple[str, ...],
    output: str | None,
    fmt: str,
    target: str | None,
    debug: bool,
) -> None:
    """Draw the graph of EXPR (or of programs from -f PATH... or stdin) with its values and gradients.

    Several programs are drawn as trees one after another, each under a heading with its path;
    the other formats draw one program.

    \b
      backprop graph "(w+x*y)*z" w=5 x=3 y=2 z=4
      backprop graph -f samples/lecture27.bp --format dot
      backprop graph -f samples/lecture27.bp --format mermaid
      backprop graph -f samples/lecture27.bp --format svg -o lecture27.svg
    """
    from ..parse.bindings import parse_bindings, split_sets
    from ..parse.inputs import program
    from ..pipeline import analyze

    files, binding_args = program_files(paths, args)
    if len(files) > 1:
        if fmt != "tree" or target not in (None, "-"):
            raise InputError(f"--format {fmt} draws one program to one output: give one program, not {len(files)}")
        bindings = parse_bindings(binding_args + split_sets(sets))

        def analyze_one(text: str, name: str):
            return analyze(text, bindings, path=name, output=output, check=False)

        sys.exit(run_each(files, analyze_one, lambda report: _show_tree(report, None), "tree", debug))
    text, source_path, rest = program(tuple(binding_args) if files else args, files[0] if files else None)
    bindings = parse_bindings(list(rest) + split_sets(sets))
    report = analyze(text, bindings, path=source_path, output=output, check=False)
    if fmt in IMAGES and target is None and sys.stdout.isatty():
        raise InputError(
            f"--format {fmt} makes an image, which a terminal cannot show: write it with "
            f"-o PATH, or redirect stdout to a file or a pipe"
        )
    if fmt == "tree":
        _show_tree(report, target)
    else:
        save(_drawing(report, fmt), target)
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


def _drawing(report, fmt: str) -> bytes:
    from ..render.graph import dot, mermaid

    if fmt == "mermaid":
        return "".join(mermaid.render(report)).encode("utf-8")
    if fmt == "html":
        from ..explain import explain
        from ..render.html import page

        return "".join(page.render(explain(report))).encode("utf-8")
    source = "".join(dot.render(report))
    return source.encode("utf-8") if fmt == "dot" else dot.image(source, fmt)


def _show_tree(report, target: str | None) -> None:
    """On stdout rich decides about colour (a terminal, NO_COLOR); a file gets plain text."""
    from rich.console import Console

    from ..render.graph.tree import render
    from ..render.show import show
    from .output import glyphs

    if target is None or target == "-":
        show(render(report, glyphs()), Console(highlight=False, soft_wrap=False))
        sys.stdout.flush()
        return
    text = io.StringIO()
    Console(file=text, width=100, color_system=None, highlight=False, soft_wrap=False).print(render(report))
    save(text.getvalue().encode("utf-8"), target)
