"""`backprop eval`: one program, its gradients gate by gate, cross-checked."""

from __future__ import annotations

import sys

import click

from ..errors import InputError
from .output import EXIT_FAILED, EXIT_OK, FORMATS, LANGUAGE_HELP, emit, rows_option


@click.command("eval", epilog=LANGUAGE_HELP)
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
    from ..bindings import parse_bindings, split_sets
    from ..inputs import program
    from ..pipeline import analyze

    text, source_path, binding_args = program(args, path)
    bindings = parse_bindings(list(binding_args) + split_sets(sets))
    if not tol > 0 or not budget > 0:
        raise InputError("--tol and --budget must be positive numbers")
    report = analyze(text, bindings, path=source_path, output=output, check=not no_check, tol=tol,
                     budget=budget)
    emit(report, fmt, rows_option(rows))
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)
