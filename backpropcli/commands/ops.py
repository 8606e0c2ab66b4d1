"""`backprop ops`: every op and function of the language, read from the op table."""

from __future__ import annotations

import sys
from fractions import Fraction

import click

from ..status import EXIT_OK

ARGUMENTS = ("a", "b")  # how the table shows an op's arguments; {out} is the gate's own value

NOTE = (
    "a, b: the arguments (', ...': any number of them); out: the op's own value. kink: where the op "
    "has no derivative; there the backward pass uses the minimum-norm subgradient, and a claim "
    "passes with any value between the one-sided derivatives. Where an op jumps ('what it does' says "
    "where), it has no subgradient either: a gradient that needs its slope there does not exist."
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
    from ..render.fit import Column, table
    from ..render.show import show

    rows: list[list[Text | str]] = [
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


PROBES = (-2, -1, 0, 1, 2)  # points where a one-argument op's kink rule is asked


def _kink(op) -> str:
    """Where the op's kink rule says it has no derivative, found by asking the rule itself: at a
    point of its first argument, the others held apart from it ('at 0'), or where the arguments tie."""
    if op.kink is None:
        return ""
    least = op.arity[0]
    rest = (Fraction(1, 2),) * (least - 1)  # held at a value no probe ties with
    points = [v for v in PROBES if any(op.kink((v, *rest), op.forward(v, *rest)))]
    if points:
        return "at " + ", ".join(str(v) for v in points)
    tie, apart = (1,) * least, tuple(range(1, least + 1))
    if least > 1 and any(op.kink(tie, op.forward(*tie))) and not any(op.kink(apart, op.forward(*apart))):
        return "at a tie"
    return "yes"
