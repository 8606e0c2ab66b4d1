"""The page for a large graph: the ledger as a searchable table, and a chosen node's neighbourhood.

The numbers travel as one JSON block the script reads (every string is JSON-escaped and `<` is written
\\u003c, so no user text can close the script element); the table shows the first matches only, so
the page opens quickly however many nodes the graph has.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ...explain import Explanation, atomic, right_side
from ...graph import CONST, INPUT
from ..cells import number


def render(ex: Explanation) -> Iterator[str]:
    yield (
        '<p class="lede">This graph is too large to draw whole: search the ledger by name or formula, and '
        "choose a row (click, or Enter) to see that node's inputs and the gates that read it.</p>\n"
        '<div class="search"><label>Find a node <input type="search" aria-label="find a node by name or formula">'
        '</label><span class="found" role="status" aria-live="polite"></span></div>\n'
        '<section class="hood" aria-live="polite"></section>\n'
        '<table class="ledger"><caption>The ledger: the gates in the order the backward pass visits them, '
        'then the inputs</caption><thead><tr><th scope="col">step</th><th scope="col">node</th>'
        '<th scope="col">formula</th><th scope="col">value</th><th scope="col">gradient</th>'
        '<th scope="col">edges: upstream \u00d7 local = downstream</th></tr></thead><tbody></tbody></table>\n'
    )
    yield '<script type="application/json" class="bp-data">'
    yield json.dumps(_data(ex), ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    yield "</script>\n"


def _data(ex: Explanation) -> dict:
    report, graph = ex.report, ex.graph
    back = report.back
    label = [ex.names[i] or number(graph.nodes[i].value) for i in range(graph.output + 1)]
    rows = []
    for i, node in enumerate(graph.nodes[: graph.output + 1]):
        formula = {INPUT: "input", CONST: "constant"}.get(node.op) or right_side(graph, i, lambda n: atomic(label[n]))
        partials = back.partials[i] or ()
        flows = [graph.nodes[a].op != CONST for a in node.args]  # no gradient flows into a constant
        rows.append(
            [
                label[i],
                formula,
                number(report.values[i]),
                "" if node.op == CONST else number(back.grads[i]),
                list(node.args),
                [number(p) if f else None for p, f in zip(partials, flows, strict=True)],
                [number(back.grads[i] * p) if f else None for p, f in zip(partials, flows, strict=True)],
            ]
        )
    gates = [step.gate for step in ex.steps]
    order = gates + [i for i in graph.inputs if i <= graph.output]
    return {"out": ex.output, "gates": len(gates), "order": order, "nodes": rows}
