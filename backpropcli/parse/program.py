"""Parse stage, part two: statements -> Graph, with default-deny handling of every token.

A precedence parser with explicit stacks (no recursion), constant folding and define-before-use;
gradient claims `d<out>d<node> = expr` are recognised by the names the program defines (claimlines.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from ..errors import InputError, LimitError, Source
from ..graph import CONST, INPUT, Graph
from ..ops import BINARY, CONSTANTS, FUNCTIONS, accepts
from .claimlines import DIRECTIVE, ClaimLines, adds, claimlike, directive, not_accumulable, suggest
from .lexer import NAME, RESERVED, SIMPLE, TWO_OPS, Statement, Token, number, statement, statements
from .syntax import Builder, check_name, expression

MAX_INPUT_CHARS = 64 * 1024 * 1024
DEFAULT_OUTPUT = "f"


def parse(
    text: str, path: str = "", output: str | None = None, bound: frozenset[str] = frozenset(), graded: bool = False
) -> Graph:
    """Turn program text into a Graph. `bound` names come from bindings (they shadow pi and e). With
    `graded`, a claim that reads an unknown name carries its error, so that the others can be graded."""
    if len(text) > MAX_INPUT_CHARS:
        raise LimitError(f"the input is larger than the limit of {MAX_INPUT_CHARS // 2**20} MiB")
    text = text[1:] if text.startswith("\ufeff") else text
    if not text or text.isspace():
        raise InputError("the input is empty" + (f" ({path})" if path else ""))
    given = "--output" if output is not None else DIRECTIVE
    output = output if output is not None else directive(text)
    if output is not None and (not _IDENTIFIER.match(output) or output in _SPECIAL):
        # it names a node and is echoed in messages, so it follows the rules for names
        raise InputError(f"{given} {output!a} is not a name (ASCII letters, digits and _, not a keyword or function)")
    program = _Program(Source(text, path), output, bound)
    program.given = given
    graph = program.run()
    errors = [c.error for c in graph.claims if c.error is not None]
    if errors and not graded:
        raise errors[0]
    return graph


class _Program:
    """Mutable state of one parse; what leaves it is the frozen Graph."""

    def __init__(self, source: Source, output: str | None, bound: frozenset[str]) -> None:
        self.source = source
        self.output = output  # given by --output or the file's directive: then d<name> means d output / d name
        self.given = "--output"
        self.b = Builder(source)
        self.defined: dict[str, int] = {}  # name -> node id
        self.def_at: dict[str, int] = {}  # name -> offset of its definition
        self.free: dict[str, int] = {}  # names used before any definition -> first use
        self.last: int | None = None  # the last intermediate, the default output
        self.bare: Token | None = None
        self.bound = bound
        self.constants: dict[str, float | None] = {}  # pi and e, once known not to be the program's own names
        self.claims = ClaimLines(source)  # holds nothing of this object: no cycle keeps a parse alive
        self.claim_at = self.claims.at  # claim name -> offset: the one-line path asks of every target

    def run(self) -> Graph:
        simple, two_ops, call_op = self.simple, self.two_ops, self.call_op
        for found in statements(self.source):
            if self.bare is not None:
                raise self.error("a bare expression must be the last statement (or give it a name: f = ...)", self.bare)
            if isinstance(found, Statement):
                stmt = found
            else:
                shape = found.re  # told by identity: a Pattern's hash reads its whole compiled code
                if simple(found) if shape is SIMPLE else two_ops(found) if shape is TWO_OPS else call_op(found):
                    continue
                scanned = statement(self.source, found.start())[0]
                if scanned is None:  # a match starts a statement: the scan finds it
                    raise ValueError(f"no statement at offset {found.start()}")
                stmt = scanned
            toks = stmt.tokens
            if len(toks) >= 2 and toks[1].text == "=" and toks[0].kind is NAME:
                self.assignment(toks[0], toks[2:], stmt)
            elif adds(toks):
                self.accumulation(toks[0], toks[1], toks[3:], stmt)
            else:
                self.bare = toks[0]
                root = expression(toks, self.b, self.resolve, known=self.defined)
                self.finish_bare(root, toks[0])
        return self.graph()

    def simple(self, m: re.Match) -> bool:
        """Read a one-line statement straight from its regex match; False sends it the long way.

        The gate is made with its name at once, and an input (`x = 0.5`, `x = -2`) is made as one
        leaf: this path carries generated programs, where every call per line shows in the cost.
        Anything unusual (a known or special name, a claim-like target, a bad number) goes the
        long way, which gives the same graph or the error with its position.
        """
        target, fn, fn_arg, _, left, sym, right, negated, _ = m.groups()
        special = _SPECIAL
        defined = self.defined
        if (  # plain() and bind() below, written out: this path runs once per line of 10^6
            target in defined
            or target in special
            or (target[0] == "d" and claimlike(target, self.output is not None))
            or target in self.claim_at
            or left in special
            or right in special
            or fn_arg in special
            or target in (left, right, fn_arg)
        ):
            return False
        at = m.start
        b = self.b
        if sym is not None:
            a = defined.get(left)
            if a is None:
                a = self.operand(left, at(5))
            c = defined.get(right)
            if c is None:
                c = self.operand(right, at(7))
            root = b.binary(BINARY[sym], a, c, at(5), m.end(7), target)
        elif fn is not None:
            op = _UNARY_CALLS.get(fn)
            if op is None:
                return False
            a = defined.get(fn_arg)
            if a is None:
                a = self.operand(fn_arg, at(3))
            root = b.unary(op, a, at(2), m.end(4), target)
        elif negated is not None or not (left[0].isalpha() or left[0] == "_"):
            try:
                value = number(negated or left)
            except ValueError:
                return False
            start = at(1)
            defined[target] = b.leaf(INPUT, target, -value if negated is not None else value, start, m.end(1))
            self.def_at[target] = start
            return True
        else:
            root = self.operand(left, at(5))
        if b.names[root] == target:  # the gate carries the statement's name
            self.last = defined[target] = root
            self.def_at[target] = at(1)
        else:
            self.define(target, at(1), root)
        return True

    def plain(self, target: str, *operands: str | None) -> bool:
        """Whether a line read from one match may be taken there: its target new and no claim, no
        special name anywhere (a function, a keyword); else the long way gives the graph or the error."""
        return not (
            target in self.defined
            or target in _SPECIAL
            or (target[0] == "d" and claimlike(target, self.output is not None))
            or target in self.claim_at
            or target in operands
            or not _SPECIAL.isdisjoint(operands)
        )

    def bind(self, target: str, start: int, root: int) -> None:
        """The statement's name for its value: the gate made with it carries it already."""
        if self.b.names[root] is target:
            self.last = self.defined[target] = root
            self.def_at[target] = start
        else:
            self.define(target, start, root)

    def two_ops(self, m: re.Match) -> bool:
        """`t = a op b op c` read straight from its regex match, as simple() reads one operator; False
        sends it the long way. The two gates are made as the precedence loop makes them: the first
        pair first where the first operator binds at least as tightly (and the second groups to the
        left), else the last pair first, every operand read before; spans and errors the same."""
        target, left, first, middle, second, right, _ = cast("tuple[str, ...]", m.groups())  # all but 7 match
        if not self.plain(target, left, middle, right):
            return False
        at, end, b, operand = m.start, m.end, self.b, self.operand
        one, two = BINARY[first], BINARY[second]
        a, c = operand(left, at(2)), operand(middle, at(4))
        if one.precedence > two.precedence or (one.precedence == two.precedence and not two.right_assoc):
            pair = b.binary(one, a, c, at(2), end(4))
            root = b.binary(two, pair, operand(right, at(6)), at(2), end(6), target)
        else:
            d = operand(right, at(6))
            root = b.binary(one, a, b.binary(two, c, d, at(4), end(6)), at(2), end(6), target)
        self.bind(target, at(1), root)
        return True

    def call_op(self, m: re.Match) -> bool:
        """`t = fn(a) op b` or `t = a op fn(b)` read straight from its regex match, as simple() reads
        one operator; False sends it the long way. The call's gate is made when its ')' is read, as
        the precedence loop makes it: after its argument, before the operand that follows."""
        groups = cast("tuple[str, ...]", m.groups())
        target = groups[0]
        first = groups[1] is not None  # the call comes first
        if first:
            fn, arg, sym, other = groups[1], groups[2], groups[4], groups[5]
        else:
            fn, arg, sym, other = groups[8], groups[9], groups[7], groups[6]
        call = _UNARY_CALLS.get(fn)
        if call is None or not self.plain(target, arg, other):
            return False
        at, end, b, operand = m.start, m.end, self.b, self.operand
        op = BINARY[sym]
        if first:
            g = b.unary(call, operand(arg, at(3)), at(2), end(4))
            root = b.binary(op, g, operand(other, at(6)), at(2), end(6), target)
        else:
            c = operand(other, at(7))
            root = b.binary(op, c, b.unary(call, operand(arg, at(10)), at(9), end(11)), at(7), end(11), target)
        self.bind(target, at(1), root)
        return True

    def operand(self, text: str, start: int) -> int:
        found = self.defined.get(text)
        if found is not None:
            return found
        c = text[0]
        if c.isalpha() or c == "_":
            return self.resolve(tuple.__new__(Token, (NAME, text, start, start + len(text))))
        return self.b.number(text, start, start + len(text))

    def error(self, message: str, tok: Token) -> InputError:
        return InputError(message, self.source.locate(tok.start, tok.end))

    def line(self, offset: int) -> int:
        return self.source.line_col(offset)[0]

    def assignment(self, target: Token, rhs: Sequence[Token], stmt: Statement) -> None:
        name = target.text
        check_name(name, target, self.source)
        if not rhs:
            raise self.error(f"nothing after '=' in the definition of {name}", target)
        if rhs[0].text == "=":
            raise self.error("comparisons are not supported", rhs[0])
        split = self.claims.split(name, target, self.b.nodes, self.defined, self.def_at, self.output)
        if split is not None:
            self.claims.read(target, rhs, split, stmt, self.defined, self.constant)
            return
        self.check_new(name, target)
        root = expression(rhs, self.b, self.resolve, assignment=True, known=self.defined)
        if name in self.free:  # the right-hand side read the name as an input: a cycle of length one
            raise self.error(f"{name} is used in its own definition", target)
        self.define(name, target.start, root)

    def accumulation(self, target: Token, op: Token, rhs: Sequence[Token], stmt: Statement) -> None:
        """`d<out>d<node> += expr`: one contribution to a gradient claim; nothing else accumulates."""
        name = target.text
        split = rhs and self.claims.split(name, target, self.b.nodes, self.defined, self.def_at, self.output)
        if not split:
            raise self.error(not_accumulable(name, rhs), op)
        self.claims.read(target, rhs, split, stmt, self.defined, self.constant, adds=True)

    def define(self, name: str, start: int, root: int) -> None:
        """Bind a statement's value to its name: a constant makes an input, anything else a gate."""
        if self.b.ops[root] == CONST:
            self.b.input_from(root, name, start)
        else:
            root = self.b.named(root, name)
            self.last = root
        self.defined[name] = root
        self.def_at[name] = start

    def check_new(self, name: str, tok: Token) -> None:
        if name in self.def_at:
            raise self.error(
                f"{name} is defined twice: on line {self.line(self.def_at[name])} and line {self.line(tok.start)}", tok
            )
        if name in self.claim_at:
            raise self.error(f"{name} is already a gradient claim (line {self.line(self.claim_at[name])})", tok)
        if name in self.free:
            first = self.free[name]
            where = "in its own definition" if first >= tok.start else f"on line {self.line(first)}"
            raise self.error(f"{name} is used {where} before it is defined on line {self.line(tok.start)}", tok)

    def resolve(self, tok: Token) -> int:
        """A name in the forward pass: a defined node, a constant, or a new free input."""
        name = tok.text
        if name in self.defined:
            return self.defined[name]
        value = self.constant(name)
        if value is not None:
            return self.b.const(value, tok.start, tok.end)
        check_name(name, tok, self.source)
        if name in self.claim_at:
            raise self.error(f"{name} is a gradient claim; the forward pass cannot use it", tok)
        self.free[name] = tok.start
        node_id = self.b.leaf(INPUT, name, None, tok.start, tok.end)
        self.defined[name] = node_id
        return node_id

    def constant(self, name: str) -> float | None:
        """pi or e, unless a binding or an assignment anywhere in the program claims the name."""
        if name not in CONSTANTS:
            return None
        if name not in self.constants:
            mine = name in self.bound or _assigned(self.source.text, name)
            self.constants[name] = None if mine else CONSTANTS[name]
        return self.constants[name]

    def finish_bare(self, root: int, bare: Token) -> None:
        if self.b.ops[root] == CONST:
            raise self.error("the expression has no variables: there is nothing to differentiate", bare)
        name = self.output or DEFAULT_OUTPUT
        if name in self.defined:
            raise self.error(f"the expression's name {name} is already used; choose another with --output", bare)
        self.last = self.b.named(root, name)
        self.defined[name] = self.last
        self.output = name

    def graph(self) -> Graph:
        self.claims.check_pending(self.defined, self.def_at)
        self.claims.check_misnamed(self.b.nodes, self.defined, self.def_at)
        if self.output is not None and self.bare is None:
            if self.output not in self.defined:
                hint = suggest(self.output, self.defined)
                raise InputError(f"{self.given} {self.output}: no such name in the program{hint}")
            out = self.defined[self.output]
        elif self.last is None and not self.b.nodes and not self.claims.claims:
            raise InputError("the program has no statements, only comments and blank lines")
        elif self.last is None:
            raise InputError("the program has no output: no statement computes anything from its inputs")
        else:
            out = self.last
        return self.b.graph(out, tuple(self.claims.claims))


_SPECIAL = RESERVED | frozenset(FUNCTIONS)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_UNARY_CALLS = {name: op for name, op in FUNCTIONS.items() if accepts(op, 1)}


def _assigned(text: str, name: str) -> bool:
    """Does the program assign this name anywhere? Then it is a variable, not the constant."""
    return re.search(rf"(?:^|[;\r\n])[ \t]*{name}[ \t]*=(?!=)", text) is not None


def unbound(graph: Graph, bindings) -> None:
    """An input read but never assigned nor bound: an error at its first use, with a name it may mean."""
    given, names = graph.columns.given, graph.columns.names
    for i in graph.inputs:
        if given[i] is None and names[i] not in bindings:  # read from the columns: no Node per input
            node = graph.nodes[i]
            others = [n for n in graph.ids if n != node.name]
            hint = suggest(node.name, others)
            raise InputError(
                f"no value for {node.name}: it is read but never assigned{hint} "
                f"(assign it, or bind it: {node.name}=VALUE)",
                graph.source.locate(node.start, node.end),
            )
