"""The backward pass as a program in the lecture's style: Set Input, Forward Pass, Backward Pass.

backprop reads it back and every claim `d<out>d<node> = ...` passes. A local gradient is the op
table's formula where the language can say it; otherwise (relu, abs, max and min routing, a kink)
its number at this point, which holds on this side of every kink. Where the formula has no value
at the point (d/db a**b = a**b*log(a) at a = 0), the whole claim is the gradient's number.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import NamedTuple

from ...autodiff import forward
from ...errors import BackpropError, InputError
from ...explain import (
    FORMULAS,
    Explanation,
    Flow,
    Step,
    atomic,
    grouped,
    local_text,
    placeholders,
    right_side,
    template,
)
from ...ops import Number
from ...parse.claimlines import read_claim

INPUT_WIDTH = 72  # Set Input wraps its `name = value` pairs at this width
COMMENT_COLUMN = 44  # claims longer than this push their comment further right
MAX_DIGITS = 900  # integer literals longer than this are written as a * 10**900 + b (the parser takes 1000)
COMMENT_PARTS = 4  # a claim summed over more edges names only this many local gradients


def render(explanation: Explanation) -> Iterator[str]:
    program = _Program(explanation)
    yield "# Set Input\n"
    yield from program.inputs()
    yield "# Forward Pass\n"
    for gate in explanation.gates():
        yield f"{explanation.names[gate]} = {right_side(explanation.graph, gate, program.atom)}\n"
    yield "# Backward Pass\n"
    yield from program.claims()


def literal(v: Number) -> str:
    """A number as the language writes it, exactly: 3, -2, 1/3, 2.5 (a float's repr reads back the same)."""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, Fraction):
        return f"{_integer(v.numerator)}/{_integer(v.denominator)}"
    return _integer(v)


def _integer(n: int) -> str:
    digits = str(abs(n))
    if len(digits) > MAX_DIGITS:  # exact values stay under 4096 bits, so two pieces always suffice
        digits = f"({digits[:-MAX_DIGITS]}*10**{MAX_DIGITS} + {digits[-MAX_DIGITS:]})"
    return f"-{digits}" if n < 0 else digits


def reads_as_claim(name: str, assigned: set[str], gates: set[str]) -> tuple[str, str] | None:
    """What the parser's claim rule makes of an assignment to `name`: (out, node) if a claim, else None.

    A split whose <out> is a gate but whose <node> is unknown is an error in the parser; it is
    returned as a claim here too, since such a name cannot be assigned either way.
    """
    if name in assigned:
        return None
    split, near_miss = read_claim(name, assigned, assigned, gates.__contains__)
    return split or near_miss


class _Term(NamedTuple):
    local: str  # the local gradient: the op table's formula, or its number here
    upstream: str | None  # the claim about the gate; None for the output gate, whose upstream is 1
    note: str  # the comment: the local gradient by name, as the lecture writes `dudw = 1`
    undefined: bool = False  # the op's formula has no value here, though the backward pass has one
    varies: bool = False  # a branch of prose (elu below 0, a leaky slope) whose number is not constant


class _Program:
    """The names, claim names and claim lines of one pseudo-code program."""

    def __init__(self, explanation: Explanation) -> None:
        self.ex = explanation
        graph = explanation.graph
        self.order = _input_order(graph.inputs, explanation.names, graph.output)
        self.assigned = _check_names(explanation, self.order)
        self.claimed = {s.gate: self.claim_name(s.gate) for s in explanation.steps if s.gate != graph.output}

    def atom(self, node: int) -> str:
        name = self.ex.names[node]
        if name is not None:
            return name
        value = self.ex.graph.nodes[node].value
        assert value is not None  # a node without a name is a constant, which has its value
        return atomic(literal(value))

    def inputs(self) -> Iterator[str]:
        values = self.ex.report.values
        line = ""
        for i in self.order:
            pair = f"{self.ex.names[i]} = {literal(values[i])}"
            if line and len(line) + 2 + len(pair) > INPUT_WIDTH:
                yield line + "\n"
                line = ""
            line = f"{line}; {pair}" if line else pair
        yield line + "\n"

    def claim_name(self, node: int) -> str:
        out, name = self.ex.output, self.ex.names[node]
        for claim in (f"d{out}d{name}", f"d{out}_d{name}"):
            if reads_as_claim(claim, self.assigned, set()) == (out, name):
                return claim
        raise InputError(f"no claim name for the gradient at {name} reads as d{out}/d{name}; rename {name}")

    def claims(self) -> Iterator[str]:
        lines: list[tuple[str, str]] = []
        pending: dict[int, list[_Term]] = {}
        for step in self.ex.steps:
            for flow in step.flows:
                pending.setdefault(flow.node, []).append(self.term(step, flow))
                if flow.complete:
                    lines.append(self.line(flow.node, pending.pop(flow.node)))
        column = min(COMMENT_COLUMN, max((len(c) for c, note in lines if note), default=0)) + 4
        for claim, note in lines:
            yield f"{claim.ljust(max(column, len(claim) + 2))}# {note}\n" if note else f"{claim}\n"

    def line(self, node: int, terms: list[_Term]) -> tuple[str, str]:
        """`dfdx = y * dfdv` and its comment; a node fed by several edges sums their shares."""
        claim = self.claimed[node] if node in self.claimed else self.claim_name(node)
        grad = self.ex.report.back.grads[node]
        if grad != grad:  # a slope on its way is missing: no claim could pass, so none is written
            return f"# {claim}: the gradient does not exist here ({self.ex.report.missing})", ""
        if any(t.undefined or t.varies for t in terms):
            # A number alone is graded by its value: a formula holding only at this point would not pass.
            right = literal(self.ex.report.back.grads[node])
        elif len(terms) == 1 and terms[0].upstream is None:
            right = terms[0].local
        else:
            right = " + ".join(_factor(t.local) + (f" * {t.upstream}" if t.upstream else "") for t in terms)
        notes = [t.note for t in terms if t.note]
        if len(terms) > 1:
            shown = notes[:COMMENT_PARTS] + (["..."] if len(notes) > COMMENT_PARTS else [])
            notes = [f"{len(terms)} edges: " + ", ".join(shown)] if shown else [f"sum over {len(terms)} edges"]
        return f"{claim} = {right}", "; ".join(notes)

    def term(self, step: Step, flow: Flow) -> _Term:
        """This edge's share of a claim, local * upstream, and what its comment says about the local.

        The output gate's share is the local alone: its upstream is 1, as in the lecture's dfdu = z.
        """
        graph, gate = self.ex.graph, step.gate
        formula = local_text(graph, gate, flow.pos, self.atom)
        expressible = FORMULAS[template(graph, gate, flow.pos)] is not None
        numeric = flow.kink or not expressible or not self.evaluates(gate, flow.pos)
        local = literal(flow.local) if numeric else formula
        upstream = None if gate == graph.output else self.claimed[gate]
        undefined = numeric and expressible and not flow.kink
        # A branch of prose holds on this side of the kink as a function only where its number is a
        # constant of the branch (relu's 0 and 1, abs's -1); elsewhere the gradient is written as a number.
        varies = not expressible and not flow.kink and flow.local not in (0, 1, -1)
        return _Term(local, upstream, self.note(gate, flow, formula, numeric, undefined), undefined, varies)

    def note(self, gate: int, flow: Flow, formula: str, numeric: bool, undefined: bool) -> str:
        """The comment's part for one edge, in the lecture's notation: `dvdx = y`."""
        partial = f"d{self.ex.names[gate]}d{self.ex.names[flow.node]}"
        if flow.kink:
            return f"{partial} = {literal(flow.local)} (kink: minimum-norm subgradient)"
        if undefined:
            return f"{partial} = {formula} has no value here; the backward pass uses {literal(flow.local)}"
        if numeric:
            return f"{partial} = {formula} = {literal(flow.local)}"
        return "" if gate == self.ex.graph.output else f"{partial} = {formula}"

    def evaluates(self, gate: int, pos: int) -> bool:
        """Has the template, a formula of the language, a value at this point?"""
        compiled = FORMULAS[template(self.ex.graph, gate, pos)]
        if compiled is None:  # prose: no formula to evaluate
            return False
        try:
            forward(compiled, placeholders(self.ex.graph, self.ex.report.values, gate, pos))
        except BackpropError:
            return False
        return True


def _factor(text: str) -> str:
    return text if grouped(text) else f"({text})"


def _input_order(inputs: tuple[int, ...], names: tuple[str | None, ...], output: int) -> list[int]:
    """Inputs in definition order, except names shaped like claims come first, longest first.

    Assigned before any shorter name, such a name cannot be split into names already defined,
    so the parser keeps it an input.
    """
    mine = [i for i in inputs if i < output]
    named = {i: str(names[i]) for i in mine}  # inputs always have names
    shaped = sorted((i for i in mine if len(named[i]) >= 4 and named[i][0] == "d"), key=lambda i: -len(named[i]))
    first = set(shaped)
    return shaped + [i for i in mine if i not in first]


def _check_names(explanation: Explanation, order: list[int]) -> set[str]:
    """Every name the program assigns, checked in order: none may read as a gradient claim."""
    assigned: set[str] = set()
    gates: set[str] = set()
    for node in order + explanation.gates():
        name = explanation.names[node]
        assert name is not None  # inputs and gates have names in the pseudo-code
        if reads_as_claim(name, assigned, gates) is not None:
            raise InputError(f"the name {name} would read as a gradient claim in the pseudo-code; rename it")
        assigned.add(name)
        if explanation.graph.nodes[node].args:
            gates.add(name)
    return assigned
