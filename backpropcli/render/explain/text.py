"""The backward pass as a numbered story, one step per gate, in the lecture's words.

`mul gate v = x * y receives df/dv = 4; it swaps: df/dx = y * 4 = 2 * 4 = 8, df/dy = ...`.
Story holds the sentences' pieces, so the Markdown worked solution tells the same story.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ...explain import Explanation, Flow, Step, Total, atomic, grouped, local_text, pattern_text, right_side
from ...ops import OPS
from ..cells import number

# Why a kink gets the number it gets, in one sentence every format shares.
KINK_RULE = (
    "the subgradient closest to 0 (any slope between the one-sided slopes is a subgradient; PyTorch picks the same)"
)


@dataclass(frozen=True)
class Story:
    ex: Explanation

    def name(self, node: int) -> str:
        """A node as the story calls it: its name, t1 for an unnamed gate, a constant's value."""
        name = self.ex.names[node]
        return name if name is not None else self.num(self.ex.graph.nodes[node].value)

    def num(self, v) -> str:
        """A number as the story shows it: exact values in full, floats to the digits asked for."""
        return number(v, self.ex.digits)

    def atom(self, node: int) -> str:
        return atomic(self.name(node))

    def grad(self, node: int) -> str:
        """`df/dx`: the output's gradient at a node, in the lecture's ASCII notation."""
        return f"d{self.ex.output}/d{self.name(node)}"

    def value(self, node: int) -> str:
        return self.num(self.ex.report.values[node])

    def inputs(self) -> list[str]:
        graph = self.ex.graph
        return [f"{self.name(i)} = {self.value(i)}" for i in graph.inputs if i < graph.output]

    def forward(self, gate: int) -> str:
        """`v = x * y = 6`, and a word for a gate the output does not use."""
        text = f"{self.name(gate)} = {right_side(self.ex.graph, gate, self.atom)} = {self.value(gate)}"
        return text if self.ex.report.back.partials[gate] is not None else f"{text} (not used by {self.ex.output})"

    def equation(self, gate: int) -> str:
        return f"{self.name(gate)} = {right_side(self.ex.graph, gate, self.atom)}"

    def op(self, step: Step) -> tuple[str, str]:
        """The gate's op and what it does to the gradient, from the op table: ('mul', 'swaps')."""
        return self.ex.graph.nodes[step.gate].op, pattern_text(self.ex.graph, step.gate, self.atom)

    def head(self, step: Step, code=str, prose=str) -> str:
        """'mul gate v = x * y receives df/dv = 4; it swaps:', formulas through `code`, words through `prose`."""
        op, pattern = self.op(step)
        return (
            f"{op} gate {code(self.equation(step.gate))} receives {code(self.received(step))}; "
            f"it {prose(pattern)}{colon(pattern)}"
        )

    def received(self, step: Step) -> str:
        return f"{self.grad(step.gate)} = {self.num(step.upstream)}"

    def flow(self, step: Step, flow: Flow) -> str:
        """`df/dx = y * 4 = 2 * 4 = 8`; `+=` where the edge brings one part of a shared node's gradient."""
        local = self.num(flow.local)
        formula = local if flow.kink else local_text(self.ex.graph, step.gate, flow.pos, self.atom)
        up = _factor(self.num(step.upstream))
        text = f"{self.grad(flow.node)} {'+=' if flow.shared else '='} {_factor(formula)} * {up}"
        if formula != local:
            text += f" = {_factor(local)} * {up}"
        return f"{text} = {self.num(flow.downstream)}"

    def total(self, total: Total) -> tuple[str, int, str]:
        """('x', 3, 'df/dx = 1 + 3 + 3 = 7'): where paths meet, their gradients add up."""
        parts = " + ".join(self.num(p) for p in total.parts)
        return self.name(total.node), len(total.parts), f"{self.grad(total.node)} = {parts} = {self.num(total.grad)}"

    def kink(self, step: Step) -> tuple[str, str, str] | None:
        """Which subgradient a kink got: ('relu', 'x = 0', 'dr/dx = 0')."""
        kinked = [f for f in step.flows if f.kink]
        if not kinked:
            return None
        at = ", ".join(f"{self.name(f.node)} = {self.value(f.node)}" for f in kinked)
        chosen = ", ".join(f"d{self.name(step.gate)}/d{self.name(f.node)} = {self.num(f.local)}" for f in kinked)
        return OPS[self.ex.graph.nodes[step.gate].op].name, at, chosen

    def gradients(self) -> list[str]:
        graph, grads = self.ex.graph, self.ex.report.back.grads
        return [f"{self.grad(i)} = {self.num(grads[i])}" for i in graph.inputs if i < graph.output]


def render(ex: Explanation) -> Iterator[str]:
    story = Story(ex)
    out = ex.graph.output
    yield f"{story.name(out)} = {story.value(out)}\n\nForward pass\n"
    yield f"  inputs: {', '.join(story.inputs())}\n"
    for gate in ex.gates():
        yield f"  {story.forward(gate)}\n"
    yield f"\nBackward pass, from {story.name(out)} back to the inputs; it starts with {story.grad(out)} = 1\n"
    for n, step in enumerate(ex.steps, 1):
        flows = ", ".join(story.flow(step, flow) for flow in step.flows)
        yield f"  {n}. {story.head(step)} {flows}\n"
        for total in step.totals:
            yield "     {} feeds {} edges, so {}\n".format(*story.total(total))
        kink = story.kink(step)
        if kink:
            yield f"     kink: {kink[0]} is not differentiable at {kink[1]}, so backprop uses {kink[2]}, {KINK_RULE}\n"
    yield f"\nGradients of {story.name(out)}: {', '.join(story.gradients())}\n"
    for warning in ex.report.warnings:
        yield f"Warning: {warning}\n"


def colon(pattern: str) -> str:
    """What leads from the pattern to the numbers: ':', or ';' after a pattern that has a colon."""
    return ";" if ":" in pattern else ":"


def _factor(text: str) -> str:
    return text if grouped(text) else f"({text})"
