"""`backprop verify`: judge the gradients another autodiff engine computed, from a dump of its graph."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from ..status import EXIT_FAILED, EXIT_OK
from .output import glyphs, rows_option, tolerance, write_out


def _table(reports, g, rows):
    from ..render.verify.table import render

    return render(reports, g, rows)


def _json(reports, g, rows):
    from ..render.verify.json import render

    return render(reports, g)


def _github(reports, g, rows):
    from ..render.verify.github import render

    return render(reports, g)


def _junit(reports, g, rows):
    from ..render.verify.junit import render

    return render(reports, g)


VERIFY_FORMATS: dict[str, Callable] = {"table": _table, "json": _json, "github": _github, "junit": _junit}
MACHINE = ("json", "junit")  # formats whose stdout must stay one parseable document

HELP_EPILOG = """\b
FILE holds one record per node, as JSON Lines or one JSON array (docs/verify.md):
  {"id": 3, "op": "tanh", "args": [2], "data": 0.7071, "grad": 1}
Ops: the op table's names and the aliases real engines use (+ * ** ReLU tanh exp
log, **2 with its exponent); a record without op has it inferred from the values.

\b
Each node's grad gets a verdict:
  correct      the sum of its consumers' grads times the true local gradients
  inherited    that sum, but a consumer's grad is off: the error is nearer the root
  wrong        not that sum: a local rule of its consumer is wrong
  overwritten  used several times, it holds one contribution (= where += belongs)
  stale        this backward's sum plus whole multiples of the true grad: not reset
  unreached    a contribution never arrived (a backward not wired, a node skipped)
  unseeded     the root's grad is not 1
Values and stored local gradients are judged too (wrong value, wrong local).
At a kink any subgradient passes.

\b
Exit status: 0 every node is right, 1 some node is wrong, 2 bad input (one
error line with the record's line)."""


@click.command("verify", epilog=HELP_EPILOG)
@click.argument("path", metavar="FILE")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(tuple(VERIFY_FORMATS)),
    default="table",
    show_default=True,
    help="table, json (schema backprop.verify v1), github (workflow annotations) or junit (XML).",
)
@click.option("--tol", type=float, default=1e-9, show_default=True, help="Relative tolerance for float values.")
@click.option(
    "--rows",
    "rows_text",
    default="60",
    show_default=True,
    metavar="N|all",
    help="Table rows: a larger graph shows its wrong nodes first.",
)
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def verify_command(path: str, fmt: str, tol: float, rows_text: str, debug: bool) -> None:
    """Check the gradients another engine computed, node by node, from a dump FILE ('-': stdin).

    \b
      backprop verify graph.jsonl
      python train_step.py --dump | backprop verify -
      backprop verify graph.jsonl --format github
    """
    from ..engines import verify_dump
    from ..render.verify import summary

    tolerance(tol)
    rows = rows_option(rows_text)
    report = verify_dump(path, tol)
    write_out(VERIFY_FORMATS[fmt]([report], glyphs(), rows))
    print(summary(report), file=sys.stderr if fmt in MACHINE else sys.stdout, flush=True)
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)
