"""Explain stage: the backward pass told gate by gate, as data the narrative and pseudo-code share.

Every gate gets a name a program can use: its own, or t1, t2, ... for a gate inside an expression,
chosen so that neither a name of the program nor a piece the claim rule `d<out>d<node>` could
split off one is taken. Local gradients come from the op table's templates.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby

from .errors import BackpropError, InputError, Source
from .graph import CONST, INPUT, Graph, Node
from .monomial import worked_out
from .ops import CONSTANTS, OPS, Number, exact, is_exact
from .parse.lexer import statement
from .parse.syntax import Builder, expression
from .pipeline import Report

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_EXACT = re.compile(r"-?\d+(?:/\d+)?\Z")
_UNSIGNED = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")


@dataclass(frozen=True)
class Flow:
    """One edge of a gate: what the gate sends back to one of its inputs."""

    pos: int
    node: int
    local: Number
    downstream: Number
    kink: bool  # the gate is not differentiable here; `local` is the subgradient the pass used
    shared: bool  # the node feeds several edges, so this is one part of its gradient
    complete: bool  # the last edge into the node: its gradient is final after this one


@dataclass(frozen=True)
class Total:
    """A node fed by several edges, complete after this step: its gradient is their sum."""

    node: int
    parts: tuple[Number, ...]  # in the order the pass visited the edges
    grad: Number


@dataclass(frozen=True)
class Step:
    gate: int
    upstream: Number
    flows: tuple[Flow, ...]
    totals: tuple[Total, ...]


@dataclass(frozen=True)
class Explanation:
    report: Report
    names: tuple[str | None, ...]  # per node: a name a program can use; None for a constant
    steps: tuple[Step, ...]  # one per gate the gradient reaches, from the output back
    digits: int = 6  # significant digits of the float values the story shows

    @property
    def graph(self) -> Graph:
        return self.report.graph

    @property
    def output(self) -> str:
        name = self.names[self.graph.output]
        assert name is not None  # the output is a gate or an input, never a constant
        return name

    def gates(self) -> list[int]:
        """The forward pass: every gate up to the output, in creation order."""
        return [i for i, node in enumerate(self.graph.nodes[: self.graph.output + 1]) if node.args]


def explain(report: Report, digits: int = 6) -> Explanation:
    """The backward pass as steps; an output that is an input has none, which is an error. Float
    values are told to `digits` significant digits."""
    graph = report.graph
    out = graph.nodes[graph.output]
    if not out.args:
        raise InputError(f"the output {out.name} is an input: there is no backward pass to explain")
    edges = report.edges
    fed = Counter(graph.nodes[gate].args[pos] for gate, pos in edges)
    parts: dict[int, list[Number]] = {}  # each node's shares so far, in visiting order
    kinks = frozenset(report.back.kinks)
    steps = tuple(
        _step(report, gate, [pos for _, pos in group], fed, parts, kinks)
        for gate, group in groupby(edges, key=lambda edge: edge[0])
    )
    return Explanation(report, gate_names(graph), steps, digits)


def _step(
    report: Report,
    gate: int,
    positions: list[int],
    fed: Counter,
    parts: dict[int, list[Number]],
    kinks: frozenset[tuple[int, int]],
) -> Step:
    back = report.back
    partials = back.partials[gate]
    assert partials is not None  # a step's gate is one the gradient reaches
    flows, totals = [], []
    for pos in positions:
        node = report.graph.nodes[gate].args[pos]
        local = partials[pos]
        down = exact(back.grads[gate] * local)
        parts.setdefault(node, []).append(down)
        complete = len(parts[node]) == fed[node]
        flows.append(Flow(pos, node, local, down, (gate, pos) in kinks, fed[node] > 1, complete))
        if complete and fed[node] > 1:
            totals.append(Total(node, tuple(parts[node]), back.grads[node]))
    return Step(gate, back.grads[gate], tuple(flows), tuple(totals))


def gate_names(graph: Graph) -> tuple[str | None, ...]:
    """The program's names, and t1, t2, ... for the gates it left unnamed; None for constants."""
    taken = set(graph.ids)
    for name in graph.ids:
        taken.update(claim_pieces(name))
    names: list[str | None] = []
    count = 0
    for node in graph.nodes:
        if node.name is None and node.args:
            count += 1
            while f"t{count}" in taken:
                count += 1
            names.append(f"t{count}")
        else:
            names.append(node.name)
    return tuple(names)


def claim_pieces(name: str) -> set[str]:
    """Every <out> and <node> the claim rule could read in a name shaped like d<out>d<node>."""
    if len(name) < 4 or name[0] != "d":
        return set()
    rest = name[1:]
    pieces: set[str] = set()
    for i in range(1, len(rest) - 1):
        if rest[i] == "d":
            pieces.update((rest[:i], rest[: i - 1], rest[i + 1 :]))
    return pieces


def right_side(graph: Graph, gate: int, atom) -> str:
    """A gate's formula in the language, from the op table: `x * y`, `-d`, `exp(t1)`, `max(x, y)`."""
    node = graph.nodes[gate]
    op = OPS[node.op]
    args = [atom(a) for a in node.args]
    if op.symbols and op.arity == (2, 2):
        return f"{args[0]} {op.symbols[0]} {args[1]}"
    if op.symbols and op.arity == (1, 1):
        return f"{op.symbols[0]}{args[0]}"
    return f"{op.functions[0]}({', '.join(args)})"


def template(graph: Graph, gate: int, pos: int) -> str:
    """The op table's local gradient of a gate along one argument, with {0}, {out}, {i} unfilled."""
    texts = OPS[graph.nodes[gate].op].local_text
    return texts[pos] if len(texts) > 1 else texts[0]


def local_text(graph: Graph, gate: int, pos: int, atom) -> str:
    """The local gradient in the program's names: `y`, `1 - t2**2`, `(1 if x > 0 else 0)`, `2*x`
    (not `2*x**(2 - 1)`: where an exact number fills the template, its constant part is worked out)."""
    args = graph.nodes[gate].args

    def value(key: str) -> str:
        return atom(args[int(key)]) if key.isdigit() else atom(gate) if key == "out" else atom(args[pos])

    text = template(graph, gate, pos)
    return _simplified(text, value) or _filled(text, value)


def pattern_text(graph: Graph, gate: int, atom) -> str:
    """What a gate does to the gradient, in the lecture's words and the program's names: 'swaps',
    'scales: 1/g, -1/g**2' (never the table's own letters, which a program may use for other nodes)."""
    args = graph.nodes[gate].args

    def value(key: str) -> str:
        return atom(args[int(key)]) if key.isdigit() else atom(gate)

    pattern = OPS[graph.nodes[gate].op].pattern
    for text in OPS[graph.nodes[gate].op].local_text:  # a local gradient the words quote reads simplified
        if text in pattern and "{i}" not in text:
            simple = _simplified(text, value)
            pattern = pattern.replace(text, simple) if simple is not None else pattern
    return _filled(pattern, value)


def _simplified(text: str, value) -> str | None:
    """A local-gradient template filled in, with its constant parts worked out by sympy (loaded only
    here, and only when some part is constant): `2*x`, `-1/x**2`, `3*t1**2`. None where nothing is
    constant, or where a number in it is a float (sympy would write 0.5 as 0.500000000000000)."""
    formula = FORMULAS.get(text)
    if formula is None:
        return None
    keys = {_key(node) for node in formula.nodes if node.op == INPUT}
    numbers = {key: number for key in keys if (number := _exact(value(key))) is not None}

    def constant(i: int) -> bool:
        node = formula.nodes[i]
        return node.op == CONST or (node.op == INPUT and node.name[1:] in numbers)

    if not any(node.args and all(constant(a) for a in node.args) for node in formula.nodes):
        return None
    fast = worked_out(lambda sp, symbol, rational, real: _built(formula, numbers, value, sp, symbol, rational, real))
    if fast is not None:
        return fast
    import sympy

    expr = _built(formula, numbers, value, sympy, sympy.Symbol, sympy.Rational, sympy.Float)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None  # log(0) at a constant 0 base: the template as written says more than zoo
    return str(expr)


def _built(formula: Graph, numbers: dict, value, sp, symbol, rational, real):
    """The formula as an expression of `sp` (sympy, or the monomials that stand in for it)."""
    built: list = []
    for node in formula.nodes:
        if node.op == CONST:
            literal = node.value
            if literal is None:
                raise ValueError("a constant of a local-gradient formula has no value")
            built.append(rational(literal) if is_exact(literal) else real(literal))
        elif node.op == INPUT:
            key = _key(node)
            built.append(rational(numbers[key]) if key in numbers else symbol(value(key)))
        else:
            built.append(OPS[node.op].sympy(sp, *(built[a] for a in node.args)))
    return built[formula.output]


def _key(node: Node) -> str:
    """An input of a local-gradient formula: its name without the leading sigil, the template's key."""
    if node.name is None:
        raise ValueError("an input of a local-gradient formula has no name")
    return node.name[1:]


def _exact(text: str) -> Fraction | None:
    """An integer or fraction written in a node's text ('2', '(-1)', '1/3'); None for anything else."""
    while text.startswith("(") and text.endswith(")") and grouped(text):
        text = text[1:-1].strip()
    try:
        return Fraction(text) if _EXACT.match(text) else None
    except (ValueError, ZeroDivisionError):
        return None


def _filled(text: str, value) -> str:
    """Placeholders replaced by value(key); a call's own parentheses stand in for a group's: exp(-d)."""

    def fill(m: re.Match) -> str:
        found = value(m.group(1))
        inside = text[m.start() - 1 : m.start()] == "(" and text[m.end() : m.end() + 1] == ")"
        return found[1:-1] if inside and found.startswith("(") and grouped(found) else found

    return _PLACEHOLDER.sub(fill, text)


def formula(text: str) -> Graph | None:
    """A template as a formula of the language, with inputs _0, _1, _out, _i; None where it is prose."""
    source = Source(_PLACEHOLDER.sub(r"_\1", text))
    builder = Builder(source)
    leaves: dict[str, int] = {}

    def resolve(tok) -> int:
        if tok.text in CONSTANTS:  # pi and e, as in a program
            return builder.const(CONSTANTS[tok.text], tok.start, tok.end)
        if not tok.text.startswith("_"):
            raise InputError("a template may only name its placeholders and the constants")
        if tok.text not in leaves:
            leaves[tok.text] = builder.leaf(INPUT, tok.text, None, tok.start, tok.end)
        return leaves[tok.text]

    try:
        stmt, end = statement(source, 0)
        if stmt is None or source.text[end:].strip():
            return None
        root = expression(stmt.tokens, builder, resolve)
    except BackpropError:
        return None
    return Graph(tuple(builder.nodes), root, source)


# Each op's local-gradient templates that are formulas of the language, compiled once.
FORMULAS: dict[str, Graph | None] = {text: formula(text) for op in OPS.values() for text in op.local_text}


def placeholders(graph: Graph, values, gate: int, pos: int) -> dict[str, Number]:
    """The values a compiled template reads at this gate: _0, _1, ... the arguments, _out, _i."""
    args = graph.nodes[gate].args
    point = {f"_{k}": values[a] for k, a in enumerate(args)}
    point["_out"] = values[gate]
    point["_i"] = values[args[pos]]
    return point


def atomic(text: str) -> str:
    """Text that can stand as an argument or factor: a name or unsigned number, else in parentheses."""
    return text if _IDENTIFIER.match(text) or _UNSIGNED.match(text) else f"({text})"


def grouped(text: str) -> bool:
    """Is the text one factor already: a name, a number, a call, or one parenthesised group?"""
    if _IDENTIFIER.match(text) or _UNSIGNED.match(text):
        return True
    head = text.split("(", 1)[0]
    if not text.endswith(")") or (head and not _IDENTIFIER.match(head)):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and i >= len(head) and i < len(text) - 1:
            return False
    return True
