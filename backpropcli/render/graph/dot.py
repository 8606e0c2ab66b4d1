"""The graph as Graphviz DOT: values and gradients on nodes, upstream times local = downstream on edges.

Node ids are creation-order indices (n0, n1, ...), so the same program always gives the same file.
One edge per argument: x * x keeps two. The Mermaid picture shares these labels. Images come from
Graphviz's own `dot` program, run without a shell, with the source on stdin and a time limit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator

from ...errors import BackpropError
from ...graph import CONST
from ...pipeline import Report
from ..cells import number, op_cell

DOT_TIMEOUT = 60  # seconds Graphviz may take to lay out a picture
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
FILL = {"positive": "#dcfce7", "negative": "#fee2e2", "zero": "#f3f4f6", "constant": "#ffffff", "unused": "#ffffff"}
TIMES = "\u00d7"  # multiplication sign
# A leaf read by more edges than this is drawn again beside each gate that reads it, as a marked copy:
# one box with 200 edges (w in a 200-step recurrence) costs Graphviz minutes, 200 small boxes cost nothing.
SHARED_COPIES = 4
# Drawn nodes above which Graphviz's search for fewer crossings is cut short (nslimit, mclimit, searchsize)
# and edge labels are placed after the layout (xlabel) instead of as layout nodes of their own: the
# picture stays readable and dot finishes in seconds instead of minutes.
LARGE = 150
LIMITS = "nslimit=2, nslimit1=2, mclimit=0.3, searchsize=20, "
LEGEND = f"edges: upstream ∂{{out}}/∂gate {TIMES} local ∂gate/∂input = downstream, the gradient's share along the edge"


def render(report: Report) -> Iterator[str]:
    yield "digraph backprop {\n"
    legend = _quoted([LEGEND.format(out=report.output)])
    large = len(drawn(report)) > LARGE
    limits, label = (LIMITS, "xlabel") if large else ("", "label")
    yield f'  graph [rankdir=LR, {limits}fontname="Helvetica", fontsize=11, labelloc=b, label={legend}];\n'
    yield '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];\n'
    yield '  edge [fontname="Helvetica", fontsize=10];\n'
    for key, i, lines in boxes(report):
        kind = kind_of(report, i)
        style = ', style="rounded,dashed"' if kind in ("constant", "unused") else ""
        copy = ", peripheries=2" if key != f"n{i}" else ""
        yield f'  {key} [label={_quoted(lines)}, fillcolor="{FILL[kind]}"{style}{copy}];\n'
    for source, target, text in links(report):
        attrs = f"{label}={_quoted(text.split(chr(10)))}" if text else 'style=dashed, color="#9ca3af"'
        yield f"  {source} -> {target} [{attrs}];\n"
    yield "}\n"


def copied(report: Report) -> dict[int, int]:
    """Leaves read by more than SHARED_COPIES edges, with the number of gates that read each."""
    nodes = report.graph.nodes
    uses = Counter(arg for node in nodes[: report.graph.output + 1] for arg in node.args)
    shared = [i for i, n in sorted(uses.items()) if n > SHARED_COPIES and not nodes[i].args]
    return {i: len({gate for gate, _ in report.graph.consumers[i] if gate <= report.graph.output}) for i in shared}


def boxes(report: Report, lines=None) -> Iterator[tuple[str, int, list[str]]]:
    """(key, node, label lines) for every box, in id order; a copy of a shared leaf just before its gate.

    `lines(report, node)` gives a box's label (node_lines unless told); a copy's second line says it is shared.
    """
    lines = lines or node_lines
    copies = copied(report)
    for i in drawn(report):
        if i in copies:
            continue
        for pos, arg in enumerate(report.graph.nodes[i].args):
            if arg in copies:
                label = lines(report, arg)
                label[1] += f", shared by {copies[arg]} gates"
                yield f"n{arg}_{i}_{pos}", arg, label
        yield f"n{i}", i, lines(report, i)


def links(report: Report) -> Iterator[tuple[str, str, str]]:
    """(source key, target key, label) for every edge, a copied leaf's edge from its own copy."""
    copies = copied(report)
    for gate, pos, arg, text in flows(report):
        yield (f"n{arg}_{gate}_{pos}" if arg in copies else f"n{arg}"), f"n{gate}", text


def drawn(report: Report) -> range:
    """The nodes a picture shows: everything up to the output, whose gradients the pass computed."""
    return range(report.graph.output + 1)


def edges(report: Report) -> Iterator[tuple[int, int, str]]:
    """(gate, argument, label) for every argument of every drawn gate, in id order."""
    for gate, _, arg, text in flows(report):
        yield gate, arg, text


def flows(report: Report) -> Iterator[tuple[int, int, int, str]]:
    """(gate, position, argument, label) for every argument of every drawn gate, in id order."""
    kinks = frozenset(report.back.kinks)
    for gate in drawn(report):
        for pos, arg in enumerate(report.graph.nodes[gate].args):
            yield gate, pos, arg, edge_text(report, gate, pos, (gate, pos) in kinks)


def title(report: Report, i: int) -> str:
    """What the user calls a node: its name, its source text, or a constant's value."""
    node = report.graph.nodes[i]
    return number(node.value) if node.op == CONST else _balanced(report.graph.text(i, limit=24))


def _balanced(text: str) -> str:
    """Source text with its parentheses closed: a gate's span can begin inside `(w+x*y)*z`."""
    depth = low = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        low = min(low, depth)
    return "(" * -low + text + ")" * (depth - low)


def kind_of(report: Report, i: int) -> str:
    """positive, negative or zero gradient; a constant; or unused, where the output does not reach."""
    node, grad = report.graph.nodes[i], report.back.grads[i]
    if node.op == CONST:
        return "constant"
    if i != report.graph.output and not any(report.back.partials[g] is not None for g, _ in report.graph.consumers[i]):
        return "unused"
    return "positive" if grad > 0 else "negative" if grad < 0 else "zero"


def node_lines(report: Report, i: int) -> list[str]:
    """['v = 6', 'mul swaps', '∂f/∂v = 4']: the node, what it does, and its gradient."""
    node = report.graph.nodes[i]
    name = title(report, i)
    if node.op == CONST:
        return [name, "constant"]
    what = op_cell(report.graph, i) if node.args else "input"
    kind = kind_of(report, i)
    wrt = name if _IDENTIFIER.match(name) else f"({name})"
    grad = (
        f"does not reach {report.output}"
        if kind == "unused"
        else f"∂{report.output}/∂{wrt} = {number(report.back.grads[i])}"
    )
    return [f"{name} = {number(report.values[i])}", what, grad]


def edge_text(report: Report, gate: int, pos: int, kink: bool) -> str:
    """'4 times 2 = 8' with a multiplication sign (and 'kink' below it at a kink); empty where no gradient flows."""
    back = report.back
    arg = report.graph.nodes[gate].args[pos]
    partials = back.partials[gate]
    if partials is None or report.graph.nodes[arg].op == CONST:
        return ""
    local = partials[pos]
    text = f"{number(back.grads[gate])} {TIMES} {number(local)} = {number(back.grads[gate] * local)}"
    return text + "\nkink" if kink else text


def _quoted(lines: list[str]) -> str:
    r"""A DOT string: backslashes and quotes escaped, & as an entity (Graphviz reads &lt; and the like),
    lines joined with \n."""
    escaped = (line.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;") for line in lines)
    return '"' + "\\n".join(escaped) + '"'


def image(source: str, fmt: str) -> bytes:
    """The DOT source laid out by Graphviz as svg or png bytes."""
    program = shutil.which("dot")
    if program is None:
        raise BackpropError(
            f"--format {fmt} needs the Graphviz program dot, which is not installed (or not on "
            "PATH): install Graphviz (apt-get install graphviz, brew install graphviz, or "
            "https://graphviz.org/download/), or use --format dot or --format mermaid"
        )
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, timeout=DOT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackpropError(
            f"dot did not lay out the graph within {DOT_TIMEOUT} s; it is too large for a picture: "
            "use --format dot or --format mermaid"
        ) from None
    except OSError as exc:
        raise BackpropError(f"cannot run {program}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = "".join(ch if " " <= ch <= "~" else "?" for ch in (said[0] if said else "no message"))[:200]
        raise BackpropError(f"dot failed with exit status {done.returncode}: {reason}")
    return done.stdout
