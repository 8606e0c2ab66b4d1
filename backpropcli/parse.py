"""Parse stage, part two: statements -> Graph, with default-deny handling of every token.

A precedence parser with explicit stacks (no recursion), constant folding, define-before-use,
and gradient claims `d<out>d<node> = expr` recognised by the names the program defines.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Container

from .errors import InputError, LimitError, Source
from .graph import CONST, INPUT, Claim, Graph, Node
from .lexer import NAME, RESERVED, Statement, Token, keyword_message, number, statement, statements
from .ops import BINARY, CONSTANTS, FUNCTIONS, accepts
from .syntax import Builder, expression

MAX_INPUT_CHARS = 64 * 1024 * 1024
DEFAULT_OUTPUT = "f"


def parse(text: str, path: str = "", output: str | None = None, bound: frozenset[str] = frozenset()) -> Graph:
    """Turn program text into a Graph. `bound` names come from bindings (they shadow pi and e)."""
    if len(text) > MAX_INPUT_CHARS:
        raise LimitError(f"the input is larger than the limit of {MAX_INPUT_CHARS // 2**20} MiB")
    text = text[1:] if text.startswith("\ufeff") else text
    if not text or text.isspace():
        raise InputError("the input is empty" + (f" ({path})" if path else ""))
    if output is not None and (not _IDENTIFIER.match(output) or output in _SPECIAL):
        # it names a node and is echoed in messages, so it follows the rules for names
        raise InputError(f"--output {output!a} is not a name (ASCII letters, digits and _, not a keyword or "
                         f"function)")
    return _Program(Source(text, path), output, bound).run()


def check_name(name: str, tok: Token, source: Source) -> None:
    message = keyword_message(name)
    if message is None and name in FUNCTIONS:
        message = f"'{name}' is a function name and cannot be a variable"
    if message:
        raise InputError(message, source.locate(tok.start, tok.end))


class _Program:
    """Mutable state of one parse; what leaves it is the frozen Graph."""

    def __init__(self, source: Source, output: str | None, bound: frozenset[str]) -> None:
        self.source = source
        self.output = output
        self.b = Builder(source)
        self.defined: dict[str, int] = {}  # name -> node id
        self.def_at: dict[str, int] = {}  # name -> offset of its definition
        self.free: dict[str, int] = {}  # names used before any definition -> first use
        self.claims: list[Claim] = []
        self.claim_outs: list[str] = []  # the output each claim is about, by name
        self.claim_at: dict[str, int] = {}
        self.claimed: dict[int, int] = {}  # node id -> offset of the claim about it
        self.pending: list[Token] = []  # names in claims that were unknown when read
        self.last: int | None = None  # the last intermediate, the default output
        self.bare: Token | None = None
        self.bound = bound
        self.constants: dict[str, float | None] = {}  # pi and e, once known not to be the program's own names

    def run(self) -> Graph:
        simple = self.simple
        for stmt in statements(self.source):
            if type(stmt) is not Statement and self.bare is None:
                if simple(stmt):
                    continue
                stmt = statement(self.source, stmt.start())[0]
            if self.bare is not None:
                raise self.error("a bare expression must be the last statement (or give it a name: f = ...)",
                                 self.bare)
            toks = stmt.tokens
            if len(toks) >= 2 and toks[1].text == "=" and toks[0].kind is NAME:
                self.assignment(toks[0], toks[2:], stmt)
            else:
                self.bare = toks[0]
                root = expression(toks, self.b, self.resolve)
                self.finish_bare(root)
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
        if (target in defined or target in special or (target[0] == "d" and _claimlike(target))
                or target in self.claim_at or left in special or right in special or fn_arg in special
                or target in (left, right, fn_arg)):
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
            root = b.gate(BINARY[sym], (a, c), at(5), m.end(7), target)
        elif fn is not None:
            op = _UNARY_CALLS.get(fn)
            if op is None:
                return False
            a = defined.get(fn_arg)
            if a is None:
                a = self.operand(fn_arg, at(3))
            root = b.gate(op, (a,), at(2), m.end(4), target)
        elif negated is not None or not (left[0].isalpha() or left[0] == "_"):
            try:
                value = number(negated or left)
            except ValueError:
                return False
            start = at(1)
            defined[target] = b.leaf(INPUT, target, -value if negated is not None else value, start,
                                     m.end(1))
            self.def_at[target] = start
            return True
        else:
            root = self.operand(left, at(5))
        if b.nodes[root][2] == target:  # Node.name: the gate carries the statement's name
            self.last = defined[target] = root
            self.def_at[target] = at(1)
        else:
            self.define(target, at(1), root)
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

    def assignment(self, target: Token, rhs: list[Token], stmt: Statement) -> None:
        name = target.text
        check_name(name, target, self.source)
        if not rhs:
            raise self.error(f"nothing after '=' in the definition of {name}", target)
        if rhs[0].text == "=":
            raise self.error("comparisons are not supported", rhs[0])
        split = self.claim_split(name, target)
        if split is not None:
            self.claim(target, rhs, split, stmt)
            return
        self.check_new(name, target)
        root = expression(rhs, self.b, self.resolve, assignment=True)
        if name in self.free:  # the right-hand side read the name as an input: a cycle of length one
            raise self.error(f"{name} is used in its own definition", target)
        self.define(name, target.start, root)

    def define(self, name: str, start: int, root: int) -> None:
        """Bind a statement's value to its name: a constant makes an input, anything else a gate."""
        node = self.b.nodes[root]
        if node.op == CONST:
            self.b.nodes[root] = Node(INPUT, (), name, node.value, start, start + len(name))
        else:
            root = self.b.named(root, name)
            self.last = root
        self.defined[name] = root
        self.def_at[name] = start

    def check_new(self, name: str, tok: Token) -> None:
        if name in self.def_at:
            raise self.error(f"{name} is defined twice: on line {self.line(self.def_at[name])} and line "
                             f"{self.line(tok.start)}", tok)
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
        if self.constant(name) is not None:
            return self.b.const(self.constants[name], tok.start, tok.end)
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

    def finish_bare(self, root: int) -> None:
        if self.b.nodes[root].op == CONST:
            raise self.error("the expression has no variables: there is nothing to differentiate", self.bare)
        name = self.output or DEFAULT_OUTPUT
        if name in self.defined:
            raise self.error(f"the expression's name {name} is already used; choose another with --output",
                             self.bare)
        self.last = self.b.named(root, name)
        self.defined[name] = self.last
        self.output = name

    def graph(self) -> Graph:
        self.check_pending()
        if self.output is not None and self.bare is None:
            if self.output not in self.defined:
                hint = _suggest(self.output, self.defined)
                raise InputError(f"--output {self.output}: no such name in the program{hint}")
            out = self.defined[self.output]
        elif self.last is None and not self.b.nodes and not self.claims:
            raise InputError("the program has no statements, only comments and blank lines")
        elif self.last is None:
            raise InputError("the program has no output: no statement computes anything from its inputs")
        else:
            out = self.last
        out_name = self.b.nodes[out].name
        for claim, want in zip(self.claims, self.claim_outs, strict=True):
            if want != out_name:
                raise InputError(f"{claim.name} claims a gradient of {want}, but the output is {out_name}",
                                 self.source.locate(claim.start, claim.start + len(claim.name)))
        return Graph(tuple(self.b.nodes), out, self.source, tuple(self.claims))

    def claim_split(self, name: str, tok: Token) -> tuple[str, str] | None:
        """Read `d<out>d<node>` or `d<out>_d<node>` by the names the program has defined so far."""
        if name in self.defined:
            return None
        nodes, defined = self.b.nodes, self.defined
        split, gate_named = read_claim(name, self.def_at, defined,
                                       lambda out: out in defined and nodes[defined[out]].op != INPUT)
        if split is not None:
            return split
        if gate_named is not None:
            out, wrt = gate_named
            raise self.error(f"{name} reads as a claim about d{out}/d{wrt}, but {wrt} is not defined"
                             f"{_suggest(wrt, self.defined)}", tok)
        return None

    def claim(self, target: Token, rhs: list[Token], split: tuple[str, str], stmt: Statement) -> None:
        name = target.text
        out, wrt = split
        wrt_id = self.defined[wrt]
        if wrt_id in self.claimed:
            first = self.line(self.claimed[wrt_id])
            raise self.error(f"{name}: d{out}/d{wrt} is already claimed on line {first}", target)
        if name in self.claim_at:
            raise self.error(f"{name} is claimed twice: on line {self.line(self.claim_at[name])} and line "
                             f"{self.line(target.start)}", target)
        b = Builder(self.source)
        refs: dict[str, int] = {}

        def resolve(tok: Token) -> int:
            ref = tok.text
            if ref in refs:
                return refs[ref]
            if ref == name:
                raise self.error(f"this claim uses {name} in its own definition", tok)
            if ref in self.claim_at or ref in self.defined:
                refs[ref] = b.leaf(INPUT, ref, None, tok.start, tok.end)
                return refs[ref]
            if self.constant(ref) is not None:
                return b.const(self.constants[ref], tok.start, tok.end)
            check_name(ref, tok, self.source)
            self.pending.append(tok)
            refs[ref] = b.leaf(INPUT, ref, None, tok.start, tok.end)
            return refs[ref]

        root = expression(rhs, b, resolve, assignment=True)
        end = rhs[-1].end
        self.claims.append(Claim(name, wrt_id, Graph(tuple(b.nodes), root, self.source), target.start, end,
                                 stmt.comment))
        self.claim_outs.append(out)
        self.claim_at[name] = target.start
        self.claimed[wrt_id] = target.start

    def check_pending(self) -> None:
        for tok in self.pending:
            name = tok.text
            if name in self.claim_at:
                raise self.error(f"this claim uses {name}, which is claimed later, on line "
                                 f"{self.line(self.claim_at[name])}", tok)
            if name in self.def_at:
                raise self.error(f"this claim uses {name} before it is defined on line "
                                 f"{self.line(self.def_at[name])}", tok)
            known = {**self.defined, **self.claim_at}
            raise self.error(f"unknown name {name} in a gradient claim{_suggest(name, known)}", tok)


_SPECIAL = RESERVED | frozenset(FUNCTIONS)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_UNARY_CALLS = {name: op for name, op in FUNCTIONS.items() if accepts(op, 1)}


def _claimlike(name: str) -> bool:
    return len(name) >= 4 and name[0] == "d"


def read_claim(name: str, assigned: Container[str], known: Container[str],
               is_gate: Callable[[str], bool]) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The claim rule: `d<out>d<node>` (or `d<out>_d<node>`) with <out> assigned and <node> known.

    Returns (out, node) for a claim, and separately the first near miss: a split whose <out> is a
    gate but whose <node> is unknown, which the parser reports as an error.
    """
    if not _claimlike(name):
        return None, None
    rest = name[1:]
    near_miss = None
    for i in range(1, len(rest) - 1):
        if rest[i] != "d":
            continue
        out = rest[:i - 1] if rest[i - 1] == "_" and i > 1 else rest[:i]
        wrt = rest[i + 1:]
        if out in assigned and wrt in known:
            return (out, wrt), None
        if near_miss is None and is_gate(out):
            near_miss = (out, wrt)
    return None, near_miss


def _assigned(text: str, name: str) -> bool:
    """Does the program assign this name anywhere? Then it is a variable, not the constant."""
    return re.search(rf"(?:^|[;\r\n])[ \t]*{name}[ \t]*=(?!=)", text) is not None


def _suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]}?" if close else ""

