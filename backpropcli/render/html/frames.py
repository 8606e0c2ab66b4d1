"""The steps of the page: the inputs, the forward pass gate by gate, the backward pass in the ledger's
order, and the gradients; each as a frame with its HTML panel and the gate and edges it lights up.

Everything a program wrote (names, and claim lines with their comments) is user text and goes
through html.escape; numbers and the op table's words are escaped the same way, so nothing is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ...explain import Explanation, Step, atomic, local_text, pattern_text, right_side
from ...graph import CONST
from ..cells import number
from ..explain.text import KINK_RULE, Story

VERDICT_MARK = {"correct": "\u2713", "numeric": "\u2713", "coincidence": "?", "wrong": "\u2717", "inherited": "\u2717"}


@dataclass(frozen=True)
class Frame:
    phase: str  # inputs | forward | backward | gradients
    title: str  # plain text: what the step counter says
    gate: int | None  # the gate lit up, if any
    edges: tuple[tuple[int, int], ...]  # (gate, argument position) of the edges lit up
    body: str  # the panel, HTML


@dataclass(frozen=True)
class Frames:
    frames: tuple[Frame, ...]
    shows_value: tuple[int, ...]  # per node: the frame from which its value is known
    shows_grad: tuple[int, ...]  # per node: the frame from which its gradient is final


class _Panel:
    """The program's names and numbers for one explanation, as escaped HTML pieces."""

    def __init__(self, ex: Explanation) -> None:
        self.ex, self.story = ex, Story(ex)
        self.out = self.story.name(ex.graph.output)

    def name(self, node: int) -> str:
        return self.story.name(node)

    def d(self, top: str, node: int) -> str:
        """∂f/∂x, ∂f/∂(w * a0) for a name that is not one word."""
        return f"\u2202{top}/\u2202{atomic(self.name(node))}"

    def grad(self, node: int) -> str:
        return self.d(self.out, node)

    def value(self, node: int) -> str:
        return self.story.value(node)

    def equation(self, gate: int) -> str:
        return f"{self.name(gate)} = {right_side(self.ex.graph, gate, self.story.atom)}"

    def numbers(self, gate: int) -> str:
        return right_side(self.ex.graph, gate, lambda n: atomic(self.value(n)))

    def pattern(self, gate: int) -> str:
        """What the gate does to the gradient: 'swaps', 'scales: 1 - t2**2'."""
        return pattern_text(self.ex.graph, gate, self.story.atom)


def frames(ex: Explanation) -> Frames:
    graph = ex.graph
    panel = _Panel(ex)
    count = graph.output + 1
    shows_value: list[int] = [0] * count
    shows_grad: list[int | None] = [None] * count
    claims = _claims_by_node(ex)
    out: list[Frame] = [_inputs(panel)]
    gates = ex.gates()
    for k, gate in enumerate(gates, 1):
        shows_value[gate] = len(out)
        out.append(_forward(panel, gate, k, len(gates)))
    shows_grad[graph.output] = len(out)
    out.append(_seed(panel, claims.pop(graph.output, [])))
    for k, step in enumerate(ex.steps, 1):
        done = [f.node for f in step.flows if f.complete]
        for node in done:
            shows_grad[node] = len(out)
        said = [c for node in done for c in claims.pop(node, [])]
        out.append(_backward(panel, step, k, len(ex.steps), said))
    left = [c for node in sorted(claims) for c in claims[node]]
    out.append(_gradients(panel, left))
    last = len(out) - 1  # a node the gradient never reaches says so at the end; a constant has none
    grads = tuple(g if g is not None else 0 if graph.nodes[i].op == CONST else last for i, g in enumerate(shows_grad))
    return Frames(tuple(out), tuple(shows_value), grads)


def _claims_by_node(ex: Explanation) -> dict[int, list]:
    found: dict[int, list] = {}
    for result in ex.report.claims:
        found.setdefault(result.claim.wrt, []).append(result)
    return found


def _inputs(p: _Panel) -> Frame:
    graph = p.ex.graph
    items = "".join(
        f"<li><code>{escape(p.name(i))} = {escape(p.value(i))}</code></li>" for i in graph.inputs if i < graph.output
    )
    body = (
        f'<p>The program computes <code>{escape(p.out)}</code>. Its inputs:</p><ul class="plain">{items}</ul>'
        "<p>The forward pass computes each gate's value from its inputs, left to right; the backward pass "
        "then sends the gradient back, gate by gate.</p>"
    )
    return Frame("inputs", "Inputs", None, (), body)


def _forward(p: _Panel, gate: int, k: int, n: int) -> Frame:
    graph = p.ex.graph
    used = p.ex.report.back.partials[gate] is not None
    eq = f"{p.equation(gate)} = {p.numbers(gate)} = {p.value(gate)}"
    note = "" if used else f"<p>{escape(p.out)} does not use this gate: no gradient comes back to it.</p>"
    body = (
        f'<p class="eq"><code>{escape(eq)}</code></p>'
        f"<p>A <strong>{escape(graph.nodes[gate].op)}</strong> gate: on the way back it "
        f"<em>{escape(p.pattern(gate))}</em>.</p>{note}"
    )
    edges = tuple((gate, pos) for pos in range(len(graph.nodes[gate].args)))
    return Frame("forward", f"Forward {k} of {n}: {p.name(gate)}", gate, edges, body)


def _seed(p: _Panel, claims: list) -> Frame:
    out = p.ex.graph.output
    body = (
        f'<p class="eq"><code>{escape(p.grad(out))} = 1</code></p>'
        f"<p>The backward pass starts at the output {_code(p.out)} with gradient 1, and visits the gates "
        f"in reverse: each multiplies the gradient it receives (upstream) by its local gradient and sends "
        f"the product (downstream) to its inputs.</p>{_claim_list(p, claims)}"
    )
    return Frame("backward", f"Backward starts: {p.grad(out)} = 1", out, (), body)


def _backward(p: _Panel, step: Step, k: int, n: int, claims: list) -> Frame:
    graph, gate = p.ex.graph, step.gate
    up = number(step.upstream)
    rows = "".join(_flow_row(p, step, flow, up) for flow in step.flows)
    totals = "".join(
        f'<p class="total"><strong>{escape(p.name(t.node))} is complete:</strong> it feeds {len(t.parts)} edges, '
        f"so <code>{escape(p.grad(t.node))} = {escape(' + '.join(number(x) for x in t.parts))} = "
        f"{escape(number(t.grad))}</code></p>"
        for t in step.totals
    )
    kink = p.story.kink(step)
    kink_html = (
        f'<p class="kink"><strong>Kink:</strong> {escape(kink[0])} is not differentiable at '
        f"<code>{escape(kink[1])}</code>, so backprop uses <code>{escape(_chosen(p, step))}</code>, "
        f"{escape(KINK_RULE)}.</p>"
        if kink
        else ""
    )
    body = (
        f'<p class="head"><strong>{escape(graph.nodes[gate].op)}</strong> gate {_code(p.equation(gate))} '
        f"receives upstream {_code(f'{p.grad(gate)} = {up}')}; it <em>{escape(p.pattern(gate))}</em>"
        f'</p><table class="flows"><thead><tr><th scope="col">to</th><th scope="col">upstream</th>'
        f'<th aria-hidden="true"></th><th scope="col">local</th><th aria-hidden="true"></th>'
        f'<th scope="col">downstream</th></tr></thead><tbody>{rows}</tbody></table>'
        f"{totals}{kink_html}{_claim_list(p, claims)}"
    )
    edges = tuple((gate, f.pos) for f in step.flows)
    return Frame("backward", f"Backward {k} of {n}: {p.name(gate)}", gate, edges, body)


def _chosen(p: _Panel, step: Step) -> str:
    """The subgradients a kink got, in the page's notation: ∂m/∂x = 1/2, ∂m/∂y = 1/2."""
    return ", ".join(f"{p.d(p.name(step.gate), f.node)} = {number(f.local)}" for f in step.flows if f.kink)


def _flow_row(p: _Panel, step: Step, flow, up: str) -> str:
    gate, node = step.gate, flow.node
    local = number(flow.local)
    formula = local if flow.kink else local_text(p.ex.graph, gate, flow.pos, p.story.atom)
    local_shown = local if formula == local else f"{formula} = {local}"
    share = " (one share: +=)" if flow.shared else ""
    return (
        f'<tr class="flow" data-node="{node}"><th scope="row">{escape(p.name(node))}</th>'
        f'<td class="up"><span class="sym">{escape(p.grad(gate))}</span> <b class="num">{escape(up)}</b></td>'
        f'<td class="op" aria-label="times">\u00d7</td>'
        f'<td class="local"><span class="sym">{escape(p.d(p.name(gate), node))}</span> '
        f'<b class="num">{escape(local_shown)}</b></td><td class="op" aria-label="equals">=</td>'
        f'<td class="down"><span class="sym">{escape(p.grad(node))}</span> '
        f'<b class="num">{escape(number(flow.downstream))}</b>{escape(share)}</td></tr>'
    )


def _gradients(p: _Panel, claims: list) -> Frame:
    graph, grads = p.ex.graph, p.ex.report.back.grads
    items = "".join(
        f"<li><code>{escape(p.grad(i))} = {escape(number(grads[i]))}</code></li>"
        for i in graph.inputs
        if i < graph.output
    )
    body = f'<p>The gradients of {_code(p.out)} with respect to its inputs:</p><ul class="plain">{items}</ul>'
    return Frame("gradients", "Gradients", None, (), body + _claim_list(p, claims))


def _claim_list(p: _Panel, claims: list) -> str:
    if not claims:
        return ""
    items = "".join(_claim(p, c) for c in claims)
    return f'<ul class="claims" aria-label="claims of the program">{items}</ul>'


def _claim(p: _Panel, result) -> str:
    claim = result.claim
    line = p.ex.graph.source.text[claim.start : claim.end]
    mark = VERDICT_MARK.get(result.verdict, "")
    why = f" {escape(result.why)}" if result.why else ""
    note = f' <span class="note">(its comment: <code># {escape(claim.comment)}</code>)</span>' if claim.comment else ""
    return (
        f'<li class="claim {"ok" if result.ok else "bad"}"><span class="verdict">{mark} {escape(result.verdict)}'
        f"</span> the program's claim <code>{escape(line)}</code>{note}: it says {escape(number(result.written))}, "
        f"the backward pass gives {escape(number(result.true))}.{why}</li>"
    )


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"
