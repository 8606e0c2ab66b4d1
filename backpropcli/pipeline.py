"""The library API: text and bindings in, a Report out. The CLI is a thin shell over `analyze`."""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, cast

from .autodiff import Backward, Edges, forward, ledger
from .claims.floats import NOT_ASKED, Floats, floats_kept
from .claims.partial import backward_or_partial, missing_slopes, undefined
from .collector import collector_paused
from .crosscheck import Checks, crosscheck
from .errors import InputError
from .graph import INPUT, Graph
from .ops import Number
from .parse.program import parse, unbound

if TYPE_CHECKING:
    from .claims.grade import ClaimResult

Progress = Callable[..., None]  # progress(stage, done=0, total=0)


@dataclass(frozen=True)
class Report:
    """Everything one run computed, as plain data: what renderers and notebooks read."""

    graph: Graph
    values: tuple[Number, ...]
    back: Backward
    checks: Checks | None  # None when the cross-check was not asked for
    claims: tuple[ClaimResult, ...]
    tol: float
    missing: str = ""  # why the gradients that are nan do not exist (a slope on their way is missing)
    floats: Floats = NOT_ASKED
    strict_floats: bool = False  # floats that lost the answer fail the run instead of warning

    @property
    def value(self) -> Number:
        return self.values[self.graph.output]

    @property
    def output(self) -> str:
        return self.graph.nodes[self.graph.output].name

    @cached_property
    def edges(self) -> Edges:
        """The backward pass's edges (gate, argument position) in the order it visits them: listed
        once per run, by the cross-check where it ran, for every renderer that walks the ledger."""
        if self.checks is not None:
            return cast(Edges, self.checks.edges.keys_in_order)  # the ledger it was given
        return ledger(self.graph, self.back)

    def __repr__(self) -> str:
        """One line for a notebook: '<Report f = 44, 4 inputs, checks 19 passed 0 failed>'."""
        passed, failed, skipped = self.counts()
        inputs = len(self.graph.inputs)
        ran = self.checks is not None or self.claims
        checks = f"checks {passed} passed {failed} failed" if ran else "checks not run"
        tail = f" {skipped} skipped" if skipped else ""
        value = _shown(self.value)
        return f"<Report {self.output} = {value}, {inputs} input{'' if inputs == 1 else 's'}, {checks}{tail}>"

    def to_json(self) -> str:
        """The JSON document `backprop eval --format json` prints."""
        return "".join(_renderer("json")(self))

    def to_markdown(self, rows: int | None = 60) -> str:
        """The Markdown `backprop eval --format markdown` prints."""
        return "".join(_renderer("markdown")(self, rows))

    def table(self, width: int = 80, rows: int | None = 60) -> str:
        """The tables `backprop eval` prints, as plain text laid out for `width` columns."""
        return _renderer("text")(self, rows, width)

    def gradient(self, name: str) -> Number:
        """d output / d name, for any named node."""
        return self.back.grads[self.graph.ids[name]]

    @property
    def gradients(self) -> dict[str, Number]:
        """d output / d input, for every input, in definition order."""
        return {self.graph.nodes[i].name: self.back.grads[i] for i in self.graph.inputs}

    @property
    def intermediate_gradients(self) -> dict[str, Number]:
        """d output / d node for every named intermediate but the output itself."""
        c, out, grads = self.graph.columns, self.graph.output, self.back.grads
        return {
            name: grads[i]
            for i, (name, op) in enumerate(zip(c.names, c.ops, strict=True))
            if name is not None and op != INPUT and i != out
        }

    @cached_property
    def undefined(self) -> tuple[int, ...]:
        """The nodes whose gradient does not exist here; every other gradient does."""
        return tuple(undefined(self.back)) if self.missing else ()

    @property
    def warnings(self) -> tuple[str, ...]:
        """What every format says besides the numbers: gradients that do not exist, floats that lost the answer."""
        lost = self.floats.warnings if self.floats.status == "lost" else ()
        return missing_slopes(self.graph, self.back, self.missing) + lost

    def counts(self) -> tuple[int, int, int]:
        """(passed, failed, skipped) over the cross-checks and the claims; with strict_floats, floats
        that lost the answer are one failure."""
        passed, failed, skipped = self.checks.counts() if self.checks else (0, 0, 0)
        right = sum(1 for c in self.claims if c.ok)
        lost = self.strict_floats and self.floats.status == "lost"
        return passed + right, failed + len(self.claims) - right + lost, skipped

    @property
    def ok(self) -> bool:
        return self.counts()[1] == 0

    def _repr_html_(self) -> str | None:
        """Jupyter's inline view: the page of `explain --format html`, its script scoped to this output."""
        return _notebook_view(self, markdown=False)

    def _repr_markdown_(self) -> str | None:
        """For front ends that show Markdown only: the worked solution of `explain --format markdown`."""
        return _notebook_view(self, markdown=True)


def analyze(
    text: str,
    bindings: Mapping[str, Number | str] | None = None,
    *,
    path: str = "<program>",
    output: str | None = None,
    check: bool = True,
    tol: float = 1e-9,
    budget: float = 20.0,
    progress: Progress | None = None,
    floats: bool | None = None,
    strict_floats: bool = False,
) -> Report:
    """Parse, run forward and backward, cross-check with sympy (unless check=False), grade claims.

    `bindings` take numbers or the texts the command line takes ("1/3", "2.5e-3"). A value or
    gradient is exact (int or Fraction) when everything it is computed from is exact, and a float
    as soon as one float enters it: in x*y with x = 1/2 and y = 0.25, df/dy = x stays 1/2.
    `path` names the program in error messages. `progress(stage, done, total)`, if given, hears
    of each stage as it starts (for a progress bar).

    A gradient whose way to the output needs a slope that does not exist here (df/dn of x**n at
    x < 0) is nan, and `missing` says why; every other gradient is as usual. `floats` (default: as
    `check`) takes every value and gradient again at 700 digits, within `budget` seconds, to find
    where float arithmetic lost the answer; `strict_floats` makes such a loss a failure.
    """
    point = {name: _value(name, v) for name, v in (bindings or {}).items()}
    progress = progress or _quiet
    with collector_paused():
        progress("parsing")
        graph = parse(text, path, output, frozenset(point))
        check_bindings(graph, point)
        unbound(graph, point)
        progress("forward and backward", 0, len(graph.nodes))
        values = forward(graph, point)
        back, missing = backward_or_partial(graph, values)
        checks = None
        started = time.monotonic()  # the cross-check and the floats' second look share one budget
        if check:
            progress("cross-check: loading sympy")
            checks = crosscheck(graph, values, back, tol, budget, progress)
        claims: tuple[ClaimResult, ...] = ()
        if graph.claims:  # the grader (and its sympy side) loads only for programs that have claims
            from .claims.grade import grade

            progress("grading claims", 0, len(graph.claims))
            claims = grade(graph, values, back, tol, reason=missing)
        left = budget - (time.monotonic() - started)
        kept = _floats(graph, values, back, check if floats is None else floats, left, progress)
    return Report(graph, tuple(values), back, checks, claims, tol, missing, kept, strict_floats)


def _floats(graph: Graph, values: list[Number], back: Backward, run: bool, budget: float, progress: Progress) -> Floats:
    if not run:
        return NOT_ASKED
    progress("floats at 700 digits")
    return floats_kept(graph, values, back, budget)


def _value(name: str, value) -> Number:
    """A binding as the engine takes it: a number, or a value text read as the command line reads it."""
    from fractions import Fraction
    from numbers import Rational, Real

    if isinstance(value, str):
        from .parse.bindings import parse_value

        return parse_value(value.strip(), name)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"binding {name} is a {type(value).__name__}; give a number or a text such as '1/3'")
    if isinstance(value, int | Fraction | float):
        return value
    return Fraction(value) if isinstance(value, Rational) else float(value)


def _shown(value: Number) -> str:
    from .ops import show

    text = show(value)
    return text if len(text) <= 24 else f"{text[:12]}...{text[-4:]}"


def _renderer(name: str):
    """A renderer of the later render stage, loaded when a report is asked for its text: running
    the pipeline never loads rendering; a notebook's report reaches it on request."""
    from .render.eval.api import RENDER

    return RENDER[name]


def _quiet(stage: str, done: int = 0, total: int = 0) -> None:
    """No progress display."""


def check_bindings(graph: Graph, bindings: Mapping[str, Number]) -> None:
    if not bindings:  # graph.ids is a dict of every name: a 10^6-node program need not build it for nothing
        return
    ids = graph.ids
    for name in bindings:
        if name not in ids:
            close = difflib.get_close_matches(name, sorted(ids), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise InputError(f"{name} is bound but the program has no input of that name{hint}")
        node = graph.nodes[ids[name]]
        if node.op != INPUT:
            line = graph.source.line_col(node.start)[0]
            raise InputError(f"{name} is computed by the program (line {line}); only inputs can be bound")


def _notebook_view(report: Report, markdown: bool) -> str | None:
    """A notebook view of the report; None (the plain repr) where the output is an input and no gate exists.
    The explanation and its renderers are later stages, imported only when a notebook asks for a view."""
    from .explain import explain
    from .render.explain import markdown as worked
    from .render.html import page

    try:
        ex = explain(report)
    except InputError:
        return None
    return "".join(worked.render(ex) if markdown else page.fragment(ex))
