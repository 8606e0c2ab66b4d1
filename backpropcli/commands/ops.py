"""`backprop ops`: every op and function of the language, read from the op table."""

from __future__ import annotations

import sys

import click

from ..status import EXIT_OK

ARGUMENTS = ("a", "b")  # how the table shows an op's arguments; {out} is the gate's own value

NOTE = (
    "a, b: the arguments (', ...': any number of them); out: the op's own value. kink yes: the op "
    "has points without a derivative; there the backward pass uses the minimum-norm subgradient, "
    "and a claim passes with any value between the one-sided derivatives."
)


@click.command("ops")
def ops_command() -> None:
    """List every op and function: its syntax, local gradient, what it does to the gradient, kinks.

    \b
      backprop ops
    """
    from rich.console import Console
    from rich.text import Text

    from ..ops import OPS
    from ..render.fit import Column, show, table

    rows = [
        [_syntax(op), ", ".join(_filled(t) for t in op.local_text), _filled(op.pattern), _kink(op)]
        for op in OPS.values()
    ]
    columns = [Column("syntax", prose=True), Column("local gradient", prose=True)]
    columns += [Column("what it does", prose=True), Column("kink")]
    console = Console(highlight=False, soft_wrap=False)
    drawn = table(columns, rows, console.width, force=True)
    show(drawn, console)
    show(Text(NOTE), console)
    sys.stdout.flush()
    sys.exit(EXIT_OK)


def _syntax(op) -> str:
    """How a program writes it: `a + b`, `-a`, `a ** b, a ^ b, pow(a, b)`, `max(a, b, ...)`."""
    least, most = op.arity
    args = ", ".join(ARGUMENTS[:least]) + (", ..." if most == 0 else "")
    forms = []
    for symbol in op.symbols:
        forms.append(f"{symbol}a" if op.arity == (1, 1) else f"a {symbol} b")
    forms += [f"{name}({args})" for name in op.functions]
    return ", ".join(forms)


def _filled(text: str) -> str:
    """A template of the table with its placeholders as the argument letters."""
    for k, letter in enumerate(ARGUMENTS):
        text = text.replace(f"{{{k}}}", letter)
    return text.replace("{out}", "out").replace("{i}", "the argument")


def _kink(op) -> str:
    return "yes" if op.kink is not None else ""
