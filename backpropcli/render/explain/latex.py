"""A worked solution in LaTeX (amsmath): the story of explain_text with \\frac{\\partial f}{\\partial x}.

Formulas come from the op table: each gate's sympy counterpart and its local-gradient template,
printed by sympy with the program's names. Names are [A-Za-z0-9_] only; `_` is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

from ...explain import FORMULAS, Explanation, Flow, Step, template
from ...graph import CONST, INPUT, Graph
from ...ops import OPS, Number
from ..cells import number
from .text import KINK_RULE, Story, colon

_INDEXED = re.compile(r"([A-Za-z]+)_?(\d+)\Z")
_EULER = "e"  # the name sympy's LaTeX gives Euler's number, in e^{x}
_TEMPORARY = "t"  # the letter explain names unnamed gates with: t1, t2, ...
_TEXT_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def render(ex: Explanation) -> Iterator[str]:
    import sympy

    tex = _Tex(ex, sympy)
    story = Story(ex)
    out = ex.graph.output
    yield "% Backward pass, gate by gate; needs \\usepackage{amsmath}\n"
    inputs = ", ".join(f"${tex.name(i)} = {tex.number(ex.report.values[i])}$" for i in ex.graph.inputs if i < out)
    yield f"\\paragraph{{Forward pass}} at {inputs}:\n\\begin{{align*}}\n"
    yield "\\\\\n".join(f"  {tex.name(g)} &= {tex.gate(g)} = {tex.number(ex.report.values[g])}" for g in ex.gates())
    yield "\n\\end{align*}\n"
    yield (
        f"\\paragraph{{Backward pass}} from ${tex.name(out)}$ back to the inputs, starting with "
        f"${tex.grad(out)} = 1$; each gate multiplies the gradient it receives by its local gradient.\n"
    )
    yield "\\begin{enumerate}\n"
    for step in ex.steps:
        yield from _step(tex, story, step)
    yield "\\end{enumerate}\n"
    grads = ", ".join(f"${tex.grad(i)} = {tex.number(ex.report.back.grads[i])}$" for i in ex.graph.inputs if i < out)
    yield f"\\paragraph{{Gradients of ${tex.name(out)}$:}} {grads}.\n"
    for warning in ex.report.warnings:
        yield f"\\paragraph{{Warning:}} {text(warning)}\n"


def _step(tex: _Tex, story: Story, step: Step) -> Iterator[str]:
    op, pattern = story.op(step)
    yield (
        f"  \\item The {text(op)} gate ${tex.name(step.gate)} = {tex.gate(step.gate)}$ receives "
        f"${tex.grad(step.gate)} = {tex.number(step.upstream)}$; it {tex.pattern(step.gate, pattern)}{colon(pattern)}\n"
    )
    yield "  \\begin{align*}\n"
    yield "\\\\\n".join(f"    {tex.flow(step, flow)}" for flow in step.flows)
    yield "\n  \\end{align*}\n"
    for total in step.totals:
        parts = " + ".join(tex.factor(p) for p in total.parts)
        yield (
            f"  ${tex.name(total.node)}$ feeds {len(total.parts)} edges, so "
            f"${tex.grad(total.node)} = {parts} = {tex.number(total.grad)}$.\n"
        )
    kinked = [f for f in step.flows if f.kink]
    if kinked:
        at = ", ".join(f"{tex.name(f.node)} = {tex.number(story.ex.report.values[f.node])}" for f in kinked)
        chosen = ", ".join(f"{tex.partial(step.gate, f.node)} = {tex.number(f.local)}" for f in kinked)
        yield f"  Kink: {text(op)} is not differentiable at ${at}$, so backprop uses ${chosen}$, {text(KINK_RULE)}.\n"


class _Tex:
    """LaTeX for one explanation: names, numbers, and formulas built by sympy from the op table."""

    def __init__(self, ex: Explanation, sp) -> None:
        self.ex, self.sp = ex, sp
        own = set(ex.graph.ids)
        # The program's names never read as notation: with a node called e, exp is written \exp(x),
        # not e^{x}; with names of its own such as t0, the gates it left unnamed are tau_1, tau_2.
        self.euler = _EULER in own
        self.temporary = "\\tau" if any(_letter(name) == _TEMPORARY for name in own) else _TEMPORARY
        self.symbols = {i: sp.Symbol(f"n{i}") for i, name in enumerate(ex.names) if name is not None}
        self.names = {s: self.name(i) for i, s in self.symbols.items()}

    def name(self, node: int) -> str:
        name = self.ex.names[node]
        if name is None:
            return self.number(_value(self.ex.graph, node))
        m = _INDEXED.match(name)
        if m and self.ex.graph.nodes[node].name is None:  # a gate the program left unnamed
            return f"{self.temporary}_{{{m.group(2)}}}"
        return f"{_word(m.group(1))}_{{{m.group(2)}}}" if m else _word(name)

    def pattern(self, gate: int, words: str) -> str:
        """What the gate does, in words; an unnamed gate in them named as the formulas name it
        ($\\tau_{4}$ where the program's own names made the temporaries tau)."""
        words = text(words)
        if self.temporary == _TEMPORARY:
            return words
        for node in (*self.ex.graph.nodes[gate].args, gate):
            name = self.ex.names[node]
            if name is not None and self.ex.graph.nodes[node].name is None:

                def shown(_: re.Match[str], tex: str = f"${self.name(node)}$") -> str:
                    return tex  # returned by a function, its backslashes are not read as escapes

                words = re.sub(rf"\b{name}\b", shown, words)
        return words

    def number(self, v: Number) -> str:
        if type(v) is Fraction:
            sign = "-" if v < 0 else ""
            return f"{sign}\\frac{{{abs(v.numerator)}}}{{{v.denominator}}}"
        if v != v:
            return "\\text{undefined}"
        shown = number(v, self.ex.digits)
        if "e" in shown:
            mantissa, power = shown.split("e")
            return f"{mantissa} \\times 10^{{{int(power)}}}"
        return shown

    def factor(self, v: Number) -> str:
        shown = self.number(v)
        return f"\\left({shown}\\right)" if shown.startswith("-") else shown

    def grad(self, node: int) -> str:
        return f"\\frac{{\\partial {self.name(self.ex.graph.output)}}}{{\\partial {self.name(node)}}}"

    def partial(self, gate: int, node: int) -> str:
        return f"\\frac{{\\partial {self.name(gate)}}}{{\\partial {self.name(node)}}}"

    def latex(self, expr) -> str:
        if self.euler:
            expr = expr.replace(self.sp.exp, self.sp.Function("\\exp"))
        return self.sp.latex(expr, symbol_names=self.names, mul_symbol="dot", order="none")

    def operand(self, node: int):
        return self.symbols[node] if node in self.symbols else self.constant(_value(self.ex.graph, node))

    def constant(self, value: Number):
        if type(value) is float:
            return self.sp.Float(value)
        value = Fraction(value)
        return self.sp.Rational(value.numerator, value.denominator)

    def gate(self, gate: int) -> str:
        """The gate's formula as written, in the op's order (sympy would sort `w + v` otherwise)."""
        node = self.ex.graph.nodes[gate]
        with self.sp.evaluate(False):
            return self.latex(OPS[node.op].sympy(self.sp, *[self.operand(a) for a in node.args]))

    def local(self, gate: int, pos: int) -> str | None:
        """The op table's local gradient as a formula in the program's names; None where it is prose."""
        compiled = FORMULAS[template(self.ex.graph, gate, pos)]
        if compiled is None:
            return None
        args = self.ex.graph.nodes[gate].args
        leaves = {f"_{k}": self.operand(a) for k, a in enumerate(args)}
        leaves.update({"_out": self.operand(gate), "_i": self.operand(args[pos])})
        exprs: list = []
        for i, node in enumerate(compiled.nodes):
            if node.op == INPUT:
                exprs.append(leaves[str(node.name)])  # the template's inputs are named _0, _1, _out, _i
            elif node.op == CONST:
                exprs.append(self.constant(_value(compiled, i)))
            else:
                exprs.append(OPS[node.op].sympy(self.sp, *[exprs[a] for a in node.args]))
        expr = exprs[compiled.output]
        shown = self.latex(expr)
        return f"\\left({shown}\\right)" if expr.is_Add or shown.startswith("-") else shown

    def flow(self, step: Step, flow: Flow) -> str:
        local = None if flow.kink else self.local(step.gate, flow.pos)
        up = self.factor(step.upstream)
        sign = "\\mathrel{+}=" if flow.shared else "="
        line = f"{self.grad(flow.node)} &{sign} "
        if local is not None and local != self.factor(flow.local):
            line += f"{local} \\cdot {up} = "
        return line + f"{self.factor(flow.local)} \\cdot {up} = {self.number(flow.downstream)}"


def text(words: str) -> str:
    """Plain words in text mode, with LaTeX's special characters escaped."""
    return "".join(_TEXT_SPECIAL.get(ch, ch) for ch in words)


def _letter(name: str) -> str:
    """The letter part of an indexed name (t of t0), or the whole name."""
    m = _INDEXED.match(name)
    return m.group(1) if m else name


def _word(name: str) -> str:
    return name if len(name) == 1 else "\\mathit{" + name.replace("_", "\\_") + "}"


def _value(graph: Graph, node: int) -> Number:
    """A constant's value: only constants are drawn as numbers, and each carries its value."""
    value = graph.nodes[node].value
    assert value is not None
    return value
