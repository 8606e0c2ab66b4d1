"""Parse stage, part three: one expression's tokens -> graph nodes, by operator precedence.

Explicit operand and operator stacks instead of recursion, so nesting depth costs memory, not
the C stack. Subexpressions without variables are folded into one constant as they are built.
"""

from __future__ import annotations

import difflib
import math
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain, islice, pairwise, repeat
from typing import cast

from ..errors import EvalError, InputError, LimitError, Source
from ..graph import CONST, INPUT, NO_ARG, Columns, Graph, Nodes
from ..ops import BINARY, FUNCTIONS, SPELLINGS, UNARY, Number, Op, accepts, arity_text, failure
from .lexer import NAME, NUM, OP, LineTokens, Token, keyword_message, number, token_kind

MAX_DEPTH = 1000  # nested parentheses and calls in one statement
MAX_NODES = 5_000_000

_BIN, _UN, _PAREN, _CALL = range(4)
_NOTHING: Mapping[str, int] = {}


class Builder:
    """Appends nodes to the graph's columns in creation order; folds a gate whose arguments are all constants."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.columns = c = Columns()
        self.nodes = Nodes(c)  # read by id; the parser writes through the methods below
        self.ops, self.names, self.given = c.ops, c.names, c.given
        self._op, self._a0, self._a1 = c.ops.append, c.arg0.append, c.arg1.append
        self._name, self._value, self._start, self._end = c.names.append, c.given.append, c.starts.append, c.ends.append

    def graph(self, output: int, claims: tuple = ()) -> Graph:
        return Graph(self.columns, output, self.source, claims)

    def leaf(self, op: str, name: str | None, value: Number | None, start: int, end: int) -> int:
        count = len(self.ops)
        if count >= MAX_NODES:
            raise self._too_many(start)
        self._op(op)
        self._a0(NO_ARG)
        self._a1(NO_ARG)
        self._name(name)
        self._value(value)
        self._start(start)
        self._end(end)
        return count

    def const(self, value: Number, start: int, end: int) -> int:
        return self.leaf(CONST, None, value, start, end)

    def gate(self, op: Op, args: tuple[int, ...], start: int, end: int, name: str | None = None) -> int:
        """A new gate (carrying `name` if given), or a constant when every argument is one."""
        if len(args) == 2:
            return self.binary(op, args[0], args[1], start, end, name)
        if len(args) == 1:
            return self.unary(op, args[0], start, end, name)
        if any(self.ops[a] is not CONST for a in args):
            return self._append(op.name, args, start, end, name)
        return self._folded(op, args, start, end)

    # binary() and unary() are the parser's hot path: one call per gate, the appends written out
    def binary(self, op: Op, a: int, b: int, start: int, end: int, name: str | None = None) -> int:
        """gate() of two arguments, taken without a tuple of them."""
        ops = self.ops
        if ops[a] is CONST and ops[b] is CONST:
            return self._folded(op, (a, b), start, end)
        count = len(ops)
        if count >= MAX_NODES:
            raise self._too_many(start)
        self._op(op.name)
        self._a0(a)
        self._a1(b)
        self._name(name)
        self._value(None)
        self._start(start)
        self._end(end)
        return count

    def unary(self, op: Op, a: int, start: int, end: int, name: str | None = None) -> int:
        """gate() of one argument."""
        ops = self.ops
        if ops[a] is CONST:
            return self._folded(op, (a,), start, end)
        count = len(ops)
        if count >= MAX_NODES:
            raise self._too_many(start)
        self._op(op.name)
        self._a0(a)
        self._a1(NO_ARG)
        self._name(name)
        self._value(None)
        self._start(start)
        self._end(end)
        return count

    def run(self, ops: list[str], args: list[int], start: int, ends: array) -> int:
        """A run of gates, each of the one before and the next argument, all begun at `start`: gate k
        is ops[k - 1](gate k - 1, args[k]), gate 0 being args[0], and ends at ends[k]. The arguments
        are nodes already and the first two are not both constants, so nothing folds: the columns are
        extended in C."""
        count, m = len(self.ops), len(ops)
        if count + m > MAX_NODES:
            raise self._too_many(start)
        c = self.columns
        self.ops.extend(ops)
        c.arg0.append(args[0])
        c.arg0.extend(range(count, count + m - 1))
        c.arg1.extend(args[1:])
        self.names.extend(repeat(None, m))
        self.given.extend(repeat(None, m))
        c.starts.extend(array(c.starts.typecode, [start]) * m)  # arrays of one type: copied, not converted
        c.ends.extend(array(c.ends.typecode, ends[1:]))
        return count + m - 1

    def _folded(self, op: Op, args: tuple[int, ...], start: int, end: int) -> int:
        """The constant a gate of constants computes, in place of the literals it was made from."""
        ops = self.ops
        values = tuple(self.given[a] for a in args)
        try:
            value = op.forward(*values)
        except (ArithmeticError, ValueError) as exc:
            raise EvalError(failure(op, values, exc), self.source.locate(start, end)) from None
        if type(value) is float and not math.isfinite(value):
            raise EvalError(failure(op, values, OverflowError()), self.source.locate(start, end))
        k = len(args)
        if args == tuple(range(len(ops) - k, len(ops))):
            self.columns.truncate(k)  # folded literals are referenced nowhere else
        return self.const(value, start, end)

    def _append(self, op: str, args: tuple[int, ...], start: int, end: int, name: str | None = None) -> int:
        """A gate of one argument or of more than two (binary() makes those of two)."""
        if len(self.ops) >= MAX_NODES:
            raise self._too_many(start)
        return self.columns.append(op, args, name, None, start, end)

    def _too_many(self, start: int) -> LimitError:
        return LimitError(f"the graph exceeds the limit of {MAX_NODES:,} nodes", self.source.locate(start))

    def named(self, root: int, name: str) -> int:
        """Give the statement's value its name; a bare reference to a named node gets a copy gate."""
        c = self.columns
        if c.names[root] is None and c.arg0[root] >= 0 and root == len(c.ops) - 1:
            c.names[root] = name
            return root
        return self._append(UNARY["+"].name, (root,), c.starts[root], c.ends[root], name)

    def input_from(self, root: int, name: str, start: int) -> None:
        """A statement whose value is a constant makes an input of that value, spanning its name."""
        c = self.columns
        c.ops[root] = INPUT
        c.names[root] = name
        c.starts[root] = start
        c.ends[root] = start + len(name)

    def literal(self, tok: Token) -> int:
        return self.number(tok.text, tok.start, tok.end)

    def number(self, text: str, start: int, end: int) -> int:
        """A number literal as a constant node; a value without a faithful float is an error here."""
        try:
            value = number(text)
        except ValueError as exc:
            raise InputError(str(exc), self.source.locate(start, end)) from None
        return self.const(value, start, end)


def expression(
    toks: Sequence[Token],
    b: Builder,
    resolve: Callable[[Token], int],
    assignment: bool = False,
    known: Mapping[str, int] | None = None,
) -> int:
    """Parse one expression into nodes appended to `b`; return the root's id. `known` names are read
    from it directly (what `resolve` would return for them), the rest through `resolve`.

    The loop runs once per token of lines with 10^6 of them: tokens are unpacked once, operator
    entries carry their precedence, and the commonest reductions are written out in place.
    """
    if type(toks) is LineTokens:
        root = _flat(toks, b, resolve, known)
        if root is not None:
            return root
    values: list[tuple[int, int, int]] = []  # (node id, start, end)
    stack: list[tuple] = []  # (kind, op, start, precedence) for operators, (kind, op, start, height) for ( and calls
    expect = True
    depth = 0
    n = len(toks)
    binary, unary, push, pop = b.binary, b.unary, values.append, values.pop
    known = _NOTHING if known is None else known
    skip = False
    pairs = cast("Iterator[tuple[Token, Token | None]]", pairwise(chain(toks, (None,))))
    for i, (tok, following) in enumerate(pairs):  # each token with the next
        if skip:  # the '(' of a call, taken with its name
            skip = False
            continue
        kind, text, start, end = tok
        if expect:
            if kind is NAME:
                if following is not None and following[1] == "(":
                    if text not in FUNCTIONS:
                        raise _err(b, f"unknown function {text}(){_functions_hint(text)}", tok)
                    stack.append((_CALL, FUNCTIONS[text], start, len(values)))
                    depth = _deeper(b, depth, tok)
                    skip = True
                    continue
                if text in FUNCTIONS:
                    raise _err(b, f"{text} is a function; call it as {text}(...)", tok)
                node = known.get(text)
                push((resolve(tok) if node is None else node, start, end))
                expect = False
            elif kind is NUM:
                push((b.number(text, start, end), start, end))
                expect = False
            elif text == "(":
                stack.append((_PAREN, None, start, len(values)))
                depth = _deeper(b, depth, tok)
            elif text in UNARY:
                op = UNARY[text]
                stack.append((_UN, op, start, op.precedence))
            else:
                raise _err(b, _expected_operand(toks, i, stack), tok)
        elif text in BINARY:
            op = BINARY[text]
            prec, right_assoc = op.precedence, op.right_assoc
            while stack:
                top = stack[-1]
                if top[0] > _UN or top[3] < prec or (top[3] == prec and right_assoc):
                    break
                stack.pop()
                # _reduce written out here and at ')': calling it costs 10-20% of a long line's parse
                if top[0] == _BIN:
                    right = pop()
                    left = pop()
                    push((binary(top[1], left[0], right[0], left[1], right[2]), left[1], right[2]))
                else:
                    arg = pop()
                    push((unary(top[1], arg[0], top[2], arg[2]), top[2], arg[2]))
            stack.append((_BIN, op, start, prec))
            expect = True
        elif text == ")":
            while stack and stack[-1][0] <= _UN:
                top = stack.pop()
                if top[0] == _BIN:
                    right = pop()
                    left = pop()
                    push((binary(top[1], left[0], right[0], left[1], right[2]), left[1], right[2]))
                else:
                    arg = pop()
                    push((unary(top[1], arg[0], top[2], arg[2]), top[2], arg[2]))
            if stack and stack[-1][0] == _PAREN:  # the parenthesised operand's span takes in its parentheses
                values[-1] = (values[-1][0], stack.pop()[2], end)
            else:
                _close(b, stack, values, tok)
            depth -= 1
        elif text == ",":
            while stack and stack[-1][0] <= _UN:
                _reduce(b, stack.pop(), values)
            if not stack or stack[-1][0] != _CALL:
                raise _err(b, "tuples are not allowed: ',' only separates function arguments", tok)
            expect = True
        else:
            raise _err(b, _expected_operator(toks, i, stack, assignment), tok)
    if expect:
        last = toks[-1]
        raise InputError(
            "the expression ends too early: an operand is missing", b.source.locate(last.end - 1 if n else 0, last.end)
        )
    while stack:
        entry = stack.pop()
        if entry[0] == _UN:  # a run of prefix signs (---x) ends here: one gate each, innermost first
            node, _, end = pop()
            node = unary(entry[1], node, entry[2], end)
            while stack and stack[-1][0] == _UN:
                entry = stack.pop()
                node = unary(entry[1], node, entry[2], end)
            push((node, entry[2], end))
            continue
        if entry[0] > _UN:
            raise InputError("'(' is never closed", b.source.locate(_opening(b, entry)))
        _reduce(b, entry, values)
    return values[-1][0]


# the infix symbols that group to the left, by precedence: a line of one such group needs no stacks
_LEVELS: dict[str, frozenset[str]] = {
    sym: frozenset(s for s, o in BINARY.items() if o.precedence == op.precedence and not o.right_assoc)
    for sym, op in BINARY.items()
    if not op.right_assoc
}


_OP_NAMES = {sym: op.name for sym, op in BINARY.items()}


def _flat(toks: LineTokens, b: Builder, resolve: Callable[[Token], int], known: Mapping[str, int] | None) -> int | None:
    """A line of plain operands joined by infix operators of one precedence that group to the left
    (a + b - c + ..., a * b / c): its gates made in one loop, in the order, with the spans and the
    errors the stacks would give (each gate as soon as its right operand is read). None for any
    other line, which the stacks read. A sum of 10^6 terms costs a call per term, not a dozen."""
    pieces, offsets, lo, hi = toks.pieces, toks.offsets, toks.lo, toks.hi
    if hi - lo < 3 or (hi - lo) % 2 == 0:
        return None
    words = pieces[2 * lo + 1 : 2 * hi : 2]  # the tokens' texts
    operands, symbols = words[0::2], words[1::2]
    level = _LEVELS.get(symbols[0])
    if level is None or not level.issuperset(symbols):
        return None
    for word in set(operands):  # a call, a function's bare name, a sign or a parenthesis: the stacks
        kind = token_kind(word)
        if kind is not NUM and (kind is not NAME or word in FUNCTIONS):
            return None
    starts, ends = offsets[2 * lo + 1 : 2 * hi : 4], offsets[2 * lo + 2 : 2 * hi + 1 : 4]
    get = (_NOTHING if known is None else known).get
    binary, first = b.binary, starts[0]
    ids: list = list(map(get, operands))
    if None not in ids and CONST not in (b.ops[ids[0]], b.ops[ids[1]]):  # no node comes between the gates
        return b.run(list(map(_OP_NAMES.__getitem__, symbols)), ids, first, ends)

    def operand(word: str, start: int, end: int) -> int:
        if token_kind(word) is NUM:
            return b.number(word, start, end)
        return resolve(tuple.__new__(Token, (NAME, word, start, end)))

    left = ids[0]
    if left is None:
        left = operand(operands[0], first, ends[0])
    for word, sym, start, end in zip(
        islice(operands, 1, None), symbols, islice(starts, 1, None), islice(ends, 1, None), strict=True
    ):
        right = get(word)
        if right is None:
            right = operand(word, start, end)
        left = binary(BINARY[sym], left, right, first, end)
    return left


def _opening(b: Builder, entry: tuple) -> int:
    """Where an unclosed '(' is: a call's entry starts at the function's name, its '(' comes after."""
    return b.source.text.find("(", entry[2]) if entry[0] == _CALL else entry[2]


def _reduce(b: Builder, entry: tuple, values: list[tuple[int, int, int]]) -> None:
    kind, op, start, _ = entry
    if kind == _BIN:
        right = values.pop()
        left = values.pop()
        values.append((b.binary(op, left[0], right[0], left[1], right[2]), left[1], right[2]))
    else:
        arg = values.pop()
        values.append((b.unary(op, arg[0], start, arg[2]), start, arg[2]))


def _close(b: Builder, stack: list[tuple], values: list[tuple[int, int, int]], tok: Token) -> None:
    while stack and stack[-1][0] <= _UN:
        _reduce(b, stack.pop(), values)
    if not stack:
        raise _err(b, "unmatched ')'", tok)
    kind, op, start, height = stack.pop()
    if kind == _PAREN:
        # the parenthesised operand's span takes in its parentheses: labels read "(a+b)*c"
        values[-1] = (values[-1][0], start, tok.end)
        return
    args = values[height:]
    if not accepts(op, len(args)):
        name = b.source.text[start : b.source.text.index("(", start)]
        raise InputError(f"{name}() takes {arity_text(op)}, got {len(args)}", b.source.locate(start, tok.end))
    del values[height:]
    node = b.gate(op, tuple(a[0] for a in args), start, tok.end)
    values.append((node, start, tok.end))


def _deeper(b: Builder, depth: int, tok: Token) -> int:
    if depth >= MAX_DEPTH:
        raise LimitError(f"parentheses and calls nest deeper than the limit of {MAX_DEPTH}", b.source.locate(tok.start))
    return depth + 1


def _err(b: Builder, message: str, tok: Token) -> InputError:
    return InputError(message, b.source.locate(tok.start, tok.end))


def _functions_hint(name: str) -> str:
    known = "; known functions: " + ", ".join(sorted(FUNCTIONS))
    close = SPELLINGS.get(name) or next(iter(difflib.get_close_matches(name, sorted(FUNCTIONS), n=1)), None)
    if close:
        return f"; did you mean {close}()?{known}"
    return f"; for a product write {name}*(...){known}"


def _expected_operand(toks: Sequence[Token], i: int, stack: list[tuple]) -> str:
    text = toks[i].text
    prev = toks[i - 1].text if i else ""
    in_call = any(e[0] == _CALL for e in stack)
    if text in ("*", "**") and in_call and prev in ("(", ","):
        return "starred arguments are not allowed"
    if text == "/" and prev == "/" and toks[i - 1].end == toks[i].start:
        return "floor division // is not supported"
    if text == ")" and prev == "(":
        in_parens = not stack or stack[-1][0] != _CALL
        return "empty parentheses () are not allowed" if in_parens else "a function call needs arguments"
    if text == ")" and prev == ",":
        return "a trailing comma is not allowed"
    if text == "=" and prev in BINARY:
        return "augmented assignment is not allowed"
    if text == "=" and prev == "=":
        return "comparisons are not supported"
    return f"expected a number, a name or '(' here, found {text!r}"


def _expected_operator(toks: Sequence[Token], i: int, stack: list[tuple], assignment: bool) -> str:
    tok, prev = toks[i], toks[i - 1]
    adjacent = prev.end == tok.start
    if tok.text == "=":
        if any(e[0] == _CALL for e in stack):
            return "keyword arguments are not allowed"
        if i + 1 < len(toks) and toks[i + 1].text == "=":
            return "comparisons are not supported"
        return "chained assignment is not allowed" if assignment else _single_name(toks, i)
    if prev.kind is NUM and adjacent and tok.kind is not OP:
        return _malformed_number(prev.text, tok.text)
    if tok.kind is NUM and tok.text.startswith(".") and adjacent:
        return "attribute access is not allowed"
    return f"expected an operator between {prev.text!r} and {tok.text!r}"


def _single_name(toks: Sequence[Token], i: int) -> str:
    """`df/dx = ...` is a claim written as a fraction: the claim's name has no slash."""
    left = [t.text for t in toks[:i]]
    if len(left) == 3 and left[1] == "/" and all(t.kind is NAME and t.text[:1] == "d" for t in toks[0:3:2]):
        return f"can only assign to a single name: write the claim {left[0]}{left[2]} = ... (no slash)"
    return "can only assign to a single name"


def _malformed_number(digits: str, rest: str) -> str:
    """A number run together with what follows: say which Python literal it looks like, if any."""
    if rest in ("j", "J"):
        return "complex literals are not allowed"
    if digits == "0" and rest[0] in "xXoObB":
        return "hexadecimal, octal and binary literals are not allowed"
    if rest[0] == "_":
        return "underscores in numbers are not allowed"
    if rest[0] == ".":
        return f"malformed number {digits + rest!r}"
    return f"malformed number {digits + rest!r} (write {digits}*{rest} for a product)"


def check_name(name: str, tok: Token, source: Source) -> None:
    """A name the program defines or reads: not a Python keyword, not a function."""
    message = keyword_message(name)
    if message is None and name in FUNCTIONS:
        message = f"'{name}' is a function name and cannot be a variable"
    if message:
        raise InputError(message, source.locate(tok.start, tok.end))
