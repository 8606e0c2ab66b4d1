"""A worked solution in Markdown, for notes and pull requests: the story of explain_text, with headings.

Every formula is a code span, so names such as x_1 stay literal under any Markdown renderer.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...explain import Explanation
from .text import KINK_RULE, Story

_MARKUP = frozenset("\\`*_[]<>|#")


def render(ex: Explanation) -> Iterator[str]:
    story = Story(ex)
    out = ex.graph.output
    name = story.name(out)
    yield f"## Backward pass of `{name}`, gate by gate\n\n### Forward pass\n\n"
    yield "Inputs: " + ", ".join(f"`{pair}`" for pair in story.inputs()) + "\n\n"
    for gate in ex.gates():
        yield f"- `{story.forward(gate)}`\n"
    yield (
        f"\n### Backward pass\n\nIt starts at the output with `{story.grad(out)} = 1` and visits the gates "
        f"from `{name}` back to the inputs; each gate multiplies the gradient it receives (upstream) by its "
        "local gradient and sends the product (downstream) to its inputs.\n\n"
    )
    for n, step in enumerate(ex.steps, 1):
        yield f"{n}. {story.head(step, _code, _prose)}\n"
        for flow in step.flows:
            yield f"   - `{story.flow(step, flow)}`\n"
        for total in step.totals:
            yield "   - `{}` feeds {} edges, so `{}`\n".format(*story.total(total))
        kink = story.kink(step)
        if kink:
            op, at, chosen = kink
            yield f"   - kink: {op} is not differentiable at `{at}`, so backprop uses `{chosen}`, {KINK_RULE}\n"
    yield f"\n### Gradients of `{name}`\n\n| input | value | gradient |\n| --- | --- | --- |\n"
    grads = ex.report.back.grads
    for i in ex.graph.inputs:
        if i < out:
            yield f"| `{story.name(i)}` | {story.value(i)} | `{story.grad(i)} = {story.num(grads[i])}` |\n"
    for warning in ex.report.warnings:
        yield f"\n> **Warning:** {_prose(warning)}\n"


def _code(text: str) -> str:
    return f"`{text}`"


def _prose(text: str) -> str:
    """Words outside code spans, with Markdown's markup characters escaped (b*a**(b-1) stays as written)."""
    return "".join(f"\\{ch}" if ch in _MARKUP else ch for ch in text)
