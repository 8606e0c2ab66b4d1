"""Parse stage, part one: text -> statements of tokens, iteratively, with character offsets.

Statements end at a newline outside parentheses or at `;`; `#` starts a comment; a trailing
backslash continues a line. Anything outside the language gets a message that names it.
"""

from __future__ import annotations

import keyword
import math
import re
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from itertools import accumulate, islice, repeat
from operator import itemgetter
from typing import NamedTuple, overload

from ..errors import InputError, Source
from ..ops import BINARY, UNARY, Number

NUM, NAME, OP = "num", "name", "op"
MAX_DIGITS = 1000  # characters in one number literal or binding value; int() itself stops at 4300 digits
_NL, _COMMENT = "nl", "comment"

# Each match is (leading blanks, token); blanks are only counted, for the offsets. The blanks are
# possessive so that trailing blanks at the very end of the text can never be read as a token.
_TOKEN = re.compile(
    r"([ \t\f]*+)(\r\n|\r|\n|\\(?:\r\n|\r|\n)|#[^\r\n]*"
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|\*\*|.)",
    re.ASCII,  # \d is 0-9 only: float() and int() would read other scripts' digits
)
# The one-line path's names are possessive and its numbers and operands atomic: nothing that may
# follow a name or a number can continue one, so backtracking into them could never succeed, and
# forbidding it lets an alternative that does not fit (`a0 * a0` tried as a call) fail at once.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*+"
_NUMBER = r"(?>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
_OPERAND = rf"(?>{_NAME}|{_NUMBER})"
# The op table's infix symbols, longest first (`**` before `*`), single characters as one class
_SYMBOL = "|".join(re.escape(s) for s in sorted(BINARY, key=len, reverse=True) if len(s) > 1)
_SYMBOL += "|[" + "".join(re.escape(s) for s in sorted(BINARY) if len(s) == 1) + "]"
# groups: 1 target, 2 function, 3 its argument, 4 its ')', 5 left operand, 6 operator, 7 right operand,
# 8 a negated lone number (an input such as x0 = -0.73; never before an operator: -2**2 is -(2**2)),
# 9 comment
SIMPLE = re.compile(
    rf"[ \t]*+({_NAME})[ \t]*+=[ \t]*+"
    rf"(?:({_NAME})\([ \t]*+({_OPERAND})[ \t]*+(\))"
    rf"|({_OPERAND})(?:[ \t]*+({_SYMBOL})[ \t]*+({_OPERAND}))?"
    rf"|-[ \t]*+({_NUMBER}))"
    r"[ \t]*+(?:;|(#[^\r\n]*+)?(?:\r\n|\r|\n|\Z))",
    re.ASCII,
)
# The commonest line of two operators, `t = a op b op c`: groups 1 target, 2 and 3 the first operand and
# operator, 4 and 5 the second, 6 the third operand, 7 comment
TWO_OPS = re.compile(
    rf"[ \t]*+({_NAME})[ \t]*+=[ \t]*+({_OPERAND})[ \t]*+({_SYMBOL})[ \t]*+({_OPERAND})[ \t]*+({_SYMBOL})"
    rf"[ \t]*+({_OPERAND})[ \t]*+(?:;|(#[^\r\n]*+)?(?:\r\n|\r|\n|\Z))",
    re.ASCII,
)
# A call of one argument beside one operator, `t = fn(a) op b` or `t = a op fn(b)`: groups 1 target;
# 2 function, 3 its argument, 4 its ')', 5 operator, 6 operand; or 7 operand, 8 operator, 9 function,
# 10 its argument, 11 its ')'; 12 comment
CALL_OP = re.compile(
    rf"[ \t]*+({_NAME})[ \t]*+=[ \t]*+"
    rf"(?:({_NAME})\([ \t]*+({_OPERAND})[ \t]*+(\))[ \t]*+({_SYMBOL})[ \t]*+({_OPERAND})"
    rf"|({_OPERAND})[ \t]*+({_SYMBOL})[ \t]*+({_NAME})\([ \t]*+({_OPERAND})[ \t]*+(\)))"
    r"[ \t]*+(?:;|(#[^\r\n]*+)?(?:\r\n|\r|\n|\Z))",
    re.ASCII,
)
# The one-line tokenizer: split at each token; any character that is not a blank is a token, so the
# pieces between tokens are blanks (or empty)
_SPLIT = re.compile(r"((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|\*\*|[^ \t\f])", re.ASCII)
RESERVED = frozenset(keyword.kwlist)  # never a name; soft keywords (match, case, type, _) are ordinary names
OPERATORS = frozenset(["(", ")", ",", "=", ";", *BINARY, *UNARY])  # punctuation, and the op table's symbols

_KIND = {ch: NAME for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"}
_KIND.update({ch: NUM for ch in "0123456789"})
_KIND.update({"\n": _NL, "\r": _NL, "#": _COMMENT})

# What a stray character most likely means, for the error message.
_FOREIGN = {
    ".": "attribute access is not allowed",
    "[": "lists, subscripts and comprehensions are not allowed",
    "]": "lists, subscripts and comprehensions are not allowed",
    "{": "sets, dicts and comprehensions are not allowed",
    "}": "sets, dicts and comprehensions are not allowed",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    ":": "':' is not allowed (no slices, annotations, lambdas or dict displays)",
    "\\": "a backslash is only allowed at the end of a line, to continue it",
    "`": "backticks are not allowed",
    "$": "'$' is not allowed (drop the $ signs of the slides' math)",
    "\x00": "NUL bytes are not allowed",
    "@": "the matrix operator @ is not supported",
    "&": "bitwise operators are not supported",
    "|": "bitwise operators are not supported",
    "~": "bitwise operators are not supported",
    "<": "comparisons are not supported",
    ">": "comparisons are not supported",
    "!": "comparisons are not supported",
    "?": "'?' is not allowed",
}
# Two characters that mean something more specific than the first one alone.
_PAIRS = {
    ":=": "the walrus operator := is not allowed",
    "<<": "shift operators are not supported",
    ">>": "shift operators are not supported",
}
_PREFIXES = {p: "f-strings are not allowed" for p in ("f", "rf", "fr")}
_PREFIXES.update({p: "bytes literals are not allowed" for p in ("b", "rb", "br")})
_PREFIXES.update({p: "strings are not allowed" for p in ("r", "u")})
_HINTS = {"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u00b7": "*", "\u00f7": "/"}
_HINTS.update({"\u00b2": "**2", "\u00b3": "**3", "\u00b9": "**1"})  # x², x³: powers written as superscripts


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int


class Statement(NamedTuple):
    tokens: Sequence[Token]  # a list, or a plain line's LineTokens
    comment: str  # the trailing comment on the statement's last line, if any


def token_kind(text: str) -> str:
    """NAME, NUM or OP: what a token is, told by its first character."""
    return _KIND.get(text[0], OP)


def foreign(text: str, prev: Token | None = None, after: str = "") -> str:
    """Name a character that is not part of the language; `prev` is a token touching it, `after` what follows."""
    if text in "'\"" and prev is not None and prev.text.lower() in _PREFIXES:
        return _PREFIXES[prev.text.lower()]
    if text + after[:1] in _PAIRS:
        return _PAIRS[text + after[:1]]
    if text in _FOREIGN:
        return _FOREIGN[text]
    code = ord(text)
    if 0xDC80 <= code <= 0xDCFF:  # how Python hands over a byte that is not UTF-8 (surrogateescape)
        return f"the input is not UTF-8 (byte 0x{code - 0xDC00:02x})"
    if code > 127:
        label = unicodedata.name(text, "unnamed character")
        hint = f" (use '{_HINTS[text]}')" if text in _HINTS else ""
        return f"non-ASCII character U+{code:04X} ({label}) is not allowed outside comments{hint}; names are ASCII"
    return f"character {text!a} (0x{code:02x}) is not allowed"


def statements(source: Source) -> Iterator[Statement | re.Match]:
    """Split the text into statements, tracking parentheses so a statement can span lines.

    A one-line statement of the commonest shapes (`t = a op b`, `t = fn(a)`, `t = a`,
    `t = a op b op c`, `t = fn(a) op b`) comes out as one regex match, which the parser reads
    without making tokens: generated programs are almost all such lines, and per-token work would
    dominate their cost.
    """
    text = source.text
    simple, two, call = SIMPLE.match, TWO_OPS.match, CALL_OP.match
    pos, end = 0, len(text)
    while pos < end:
        m = simple(text, pos) or two(text, pos) or call(text, pos)
        if m is not None:
            yield m
            pos = m.end()
            continue
        stmt, pos = statement(source, pos)
        if stmt is not None:
            yield stmt


def statement(source: Source, pos: int) -> tuple[Statement | None, int]:
    """Tokens of the next statement from `pos`; returns it and where the next one starts."""
    fast = _one_line(source.text, pos)
    return fast if fast is not None else _scan(source, pos)


def _one_line(text: str, pos: int) -> tuple[Statement, int] | None:
    """A statement that is one plain line, tokenized by C-level calls: split at the tokens, offsets by
    summing the pieces' lengths, Token tuples made by map. None when the line holds anything else
    (a comment, a ';', a continuation, an open parenthesis, a keyword, a character outside the
    language): the scan below then reads it, with its messages."""
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    line = text[pos:end]
    if line.count("(") > line.count(")") or not line.isascii():
        return None
    pieces = _SPLIT.split(line)
    if len(pieces) < 2:
        return None
    for word in set(islice(pieces, 1, None, 2)):
        kind = _KIND.get(word[0], OP)
        if (word in RESERVED) if kind is NAME else (kind is not NUM and (word not in OPERATORS or word == ";")):
            return None
    after = min(end + 1, len(text))
    if len(pieces) <= SHORT_LINE:  # the Tokens themselves: read by index and in turn in C
        at = list(accumulate(map(len, pieces), initial=pos))
        texts = pieces[1::2]
        kinds = map(_KIND.get, map(itemgetter(0), texts), repeat(OP))
        tokens = list(map(tuple.__new__, repeat(Token), zip(kinds, texts, at[1:-1:2], at[2::2], strict=True)))
        return Statement(tokens, ""), after
    offsets = array("i" if end < 2**31 else "q", accumulate(map(len, pieces), initial=pos))
    return Statement(LineTokens(pieces, offsets, 0, len(pieces) // 2), ""), after


SHORT_LINE = 129  # pieces (64 tokens and the blanks around them) up to which a line's Tokens are made at once


class LineTokens(Sequence[Token]):
    """The tokens of one plain line, each Token made when it is read: the line split at its tokens
    (token j is piece 2j + 1, the blanks between them the even pieces) and an array of the pieces'
    offsets, about 24 bytes a token where a list of Token tuples takes about 130 (a line of 10^6
    tokens would otherwise hold them all while it is parsed). Reading them in turn copies nothing."""

    __slots__ = ("hi", "lo", "offsets", "pieces")

    def __init__(self, pieces: list[str], offsets: array, lo: int, hi: int) -> None:
        self.pieces, self.offsets, self.lo, self.hi = pieces, offsets, lo, hi

    def __len__(self) -> int:
        return self.hi - self.lo

    @overload
    def __getitem__(self, i: int) -> Token: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Token]: ...

    def __getitem__(self, i: int | slice) -> Token | Sequence[Token]:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step == 1:
                return LineTokens(self.pieces, self.offsets, self.lo + start, self.lo + max(start, stop))
            return [self[j] for j in range(start, stop, step)]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("token index out of range")
        j = 2 * (self.lo + i) + 1
        text = self.pieces[j]
        return tuple.__new__(Token, (_KIND.get(text[0], OP), text, self.offsets[j], self.offsets[j + 1]))

    def __iter__(self) -> Iterator[Token]:
        first, stop = 2 * self.lo + 1, 2 * self.hi + 1
        pieces, offsets = self.pieces, self.offsets
        texts = islice(pieces, first, stop, 2)
        kinds = map(_KIND.get, map(itemgetter(0), islice(pieces, first, stop, 2)), repeat(OP))
        starts, ends = islice(offsets, first, stop, 2), islice(offsets, first + 1, stop + 1, 2)
        return map(tuple.__new__, repeat(Token), zip(kinds, texts, starts, ends, strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (LineTokens, list, tuple)):
            return list(self) == list(other)
        return NotImplemented


def _scan(source: Source, pos: int) -> tuple[Statement | None, int]:
    """Tokens of the next statement from `pos`, one match at a time, tracking parentheses.

    A Python keyword or a character outside the language stops the scan at once: nothing after it
    can make the statement valid, and the message names the first thing that is wrong.
    """
    tokens: list[Token] = []
    comment = ""
    depth = 0
    kinds = _KIND
    text_all = source.text
    new = tuple.__new__  # Token(...) without the NamedTuple constructor's overhead: this loop is hot
    for m in _TOKEN.finditer(text_all, pos):
        text = m.group(2)
        start = m.start(2)
        kind = kinds.get(text[0], OP)
        if kind is NAME:
            if text in RESERVED:
                raise InputError(reserved_message(text), source.locate(start, m.end()))
            tokens.append(new(Token, (kind, text, start, m.end())))
        elif kind is NUM:
            tokens.append(new(Token, (kind, text, start, m.end())))
        elif kind is OP:
            if text in OPERATORS:
                if text == "(":
                    depth += 1
                elif text == ")":
                    depth -= 1
                elif text == ";":
                    if depth > 0:
                        raise InputError("';' inside parentheses", source.locate(start))
                    if tokens:
                        return Statement(tokens, comment), m.end()
                    continue
                tokens.append(new(Token, (kind, text, start, m.end())))
            elif text[0] == "." and len(text) > 1:
                tokens.append(new(Token, (NUM, text, start, m.end())))
            elif text[0] != "\\" or (len(text) == 1 and m.end() < len(text_all)):
                raise _stray(source, tokens, text, start)
        elif kind is _COMMENT:
            comment = text[1:].strip()
        elif depth <= 0:  # a newline outside parentheses ends the statement
            if tokens:
                return Statement(tokens, comment), m.end()
            comment, depth = "", 0
    return (Statement(tokens, comment) if tokens else None), len(text_all)


def _stray(source: Source, tokens: list[Token], text: str, start: int) -> InputError:
    """The error for a character outside the language, with the tokens around it for context."""
    prev = tokens[-1] if tokens and tokens[-1].end == start else None
    after = source.text[start + 1 : start + 2]
    return InputError(foreign(text, prev, after), source.locate(start))


def number(text: str) -> Number:
    """The value of a number in the language's grammar: digits only are an exact int, anything else a float.

    Raises ValueError with the reason when the text has no faithful value: too long, or beyond
    the float range either way (1e999 would be inf, 1e-999 would silently become 0).
    """
    if len(text) > MAX_DIGITS:
        raise ValueError(f"a number longer than {MAX_DIGITS} characters is beyond the limit")
    if not text.isascii():  # float() and int() would read full-width and Arabic-Indic digits
        raise ValueError(f"{text!a} is not an ASCII number")
    if text.isdigit():
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a float")
    if value == 0 and text.lower().partition("e")[0].strip("0.+-"):
        raise ValueError(f"{text} is too small for a float (it would round to 0)")
    return value


def keyword_message(word: str) -> str | None:
    """Python keywords have no place in the language; say what they would have been."""
    return reserved_message(word) if word in RESERVED else None


def reserved_message(word: str) -> str:
    """What a reserved word would have been, said for the error that refuses it."""
    if word == "lambda":
        return "lambda is not allowed"
    if word in ("True", "False", "None"):
        return f"{word} is not a number"
    if word in ("for", "in", "if", "else", "async"):
        return f"'{word}' is not allowed (no comprehensions or conditionals)"
    if word in ("and", "or", "not", "is"):
        return f"'{word}' is not allowed (no logic or comparisons)"
    return f"the Python keyword '{word}' is not allowed"
