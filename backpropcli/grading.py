"""The batch driver of `backprop check`: program files in, one FileResult per file out.

A file that cannot be read, parsed or evaluated becomes a FileResult holding its error, so one bad
file never stops the others from being graded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .autodiff import forward
from .claims.floats import CANCELLATION, float_losses
from .claims.grade import ClaimResult, grade
from .claims.partial import backward_or_partial, missing_slopes
from .errors import BackpropError, InputError
from .graph import CONST, INPUT, Graph
from .ops import Number
from .parse.inputs import read_input
from .parse.program import parse, unbound
from .pipeline import check_bindings

EXTENSION = ".bp"


@dataclass(frozen=True)
class Missing:
    """A node that --require-all wanted a claim about."""

    node: int
    claim: str  # the claim that would cover it, in the lecture's spelling: dfdw
    kind: str  # input | intermediate
    true: Number | None  # None: the gradient does not exist here


@dataclass(frozen=True)
class FileResult:
    path: str
    graph: Graph | None = None
    value: Number | None = None  # the output's value
    claims: tuple[ClaimResult, ...] = ()
    missing: tuple[Missing, ...] = ()
    error: BackpropError | None = None
    warnings: tuple[str, ...] = ()  # said in every format: a file with no claims never passes silently
    float_failures: int = 0  # with --strict-floats: where floats lost the answer, counted as failed

    @property
    def passed(self) -> int:
        return sum(1 for c in self.claims if c.ok)

    @property
    def failed(self) -> int:
        return len(self.claims) - self.passed + len(self.missing) + self.float_failures

    def line_col(self, offset: int) -> tuple[int, int]:
        assert self.graph is not None, "only a file without an error has places"
        return self.graph.source.line_col(offset)


def expand(args: Iterable[str]) -> list[str]:
    """Paths as given, except that a directory stands for its *.bp files and its subdirectories',
    sorted by path. A directory without any stays in the list, so that it is reported instead of
    silently skipped.
    """
    paths = []
    for arg in args:
        if arg != "-" and os.path.isdir(arg):
            paths.extend(_programs_under(arg) or [arg])
        else:
            paths.append(arg)
    return paths


def _programs_under(top: str) -> list[str]:
    """Every *.bp file below `top`, with an explicit stack; links to directories are not followed,
    so a link back up cannot loop."""
    found, stack = [], [top]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name.endswith(EXTENSION) and entry.is_file():
                    found.append(entry.path)
    return sorted(found)


def grade_file(
    path: str,
    *,
    output: str | None = None,
    tol: float = 1e-9,
    require_all: bool = False,
    symbolic: bool = True,
    bindings: Mapping[str, Number] | None = None,
    strict_floats: bool = False,
) -> FileResult:
    """Read, parse, run forward and backward, and grade every claim of one program file."""
    shown = "<stdin>" if path == "-" else path
    bindings = bindings or {}
    try:
        if path != "-" and os.path.isdir(path):
            raise InputError(f"no {EXTENSION} files in this directory")
        graph = parse(read_input(path), shown, output, frozenset(bindings), graded=True)
        check_bindings(graph, bindings)
        unbound(graph, bindings)
        values = forward(graph, bindings)
        back, reason = backward_or_partial(graph, values)
        claims = grade(graph, values, back, tol, symbolic, reason)
    except BackpropError as exc:
        return FileResult(shown, error=exc)
    missing = _missing(graph, back.grads, claims) if require_all else ()
    lost = float_losses(graph, values, back) if symbolic else ()
    failures = sum(1 for w in lost if w.startswith(CANCELLATION)) if strict_floats else 0
    warnings = _warnings(graph) + missing_slopes(graph, back, reason) + lost
    return FileResult(shown, graph, values[graph.output], claims, missing, warnings=warnings, float_failures=failures)


def _missing(graph: Graph, grads: tuple[Number, ...], claims: tuple[ClaimResult, ...]) -> tuple[Missing, ...]:
    """Named inputs and intermediates (not the output) without a claim, in definition order."""
    covered = {c.claim.wrt for c in claims if c.claim.of == graph.output}  # a local gradient covers nothing
    out = graph.nodes[graph.output].name
    return tuple(
        Missing(i, f"d{out}d{node.name}", "input" if node.op == INPUT else "intermediate", _shown(grads[i]))
        for i, node in enumerate(graph.nodes)
        if node.name is not None and node.op != CONST and i != graph.output and i not in covered
    )


NO_CLAIMS = "no gradient claims (d<out>d<node> = expr) in this file"


def warning_kind(warning: str) -> str:
    """What a file's warning is about, for formats that title it: a file without claims, or another
    warning (a gradient that does not exist, floats that lost the answer)."""
    return "no claims" if warning.startswith(NO_CLAIMS) else "warning"


def _warnings(graph: Graph) -> tuple[str, ...]:
    """A file without claims says so; if some of its names read as CS231n's short claims (dx for
    df/dx), the warning names the directive that would grade them, with the likely output."""
    if graph.claims:
        return ()
    ids = graph.ids
    short = [name for name in ids if name[0] == "d" and name[1:] in ids and ids[name[1:]] < ids[name]]
    if not short:
        return (NO_CLAIMS,)
    first = ids[short[0]]
    gates = [i for i in range(first) if graph.nodes[i].name is not None and graph.nodes[i].op not in (INPUT, CONST)]
    out = graph.nodes[gates[-1]].name if gates else short[0][1:]
    names = ", ".join(short[:4]) + (", ..." if len(short) > 4 else "")
    return (
        f"{NO_CLAIMS}: {names} read as forward code; if they are short-name claims (d<node> for d{out}/d<node>), "
        f"add the line `# backprop: output {out}` or pass --output {out}",
    )


def _shown(grad: Number) -> Number | None:
    return None if type(grad) is float and grad != grad else grad  # nan: a partial backward pass's missing one
