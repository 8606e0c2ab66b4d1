"""Parse stage, part one: text -> statements of tokens, iteratively, with character offsets.

Statements end at a newline outside parentheses or at `;`; `#` starts a comment; a trailing
backslash continues a line. Anything outside the language gets a message that names it.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterator
from typing import NamedTuple

from .errors import InputError, Source

NUM, NAME, OP = "num", "name", "op"
_NL, _COMMENT = "nl", "comment"

# Each match is (leading blanks, token); blanks are only counted, for the offsets.
_TOKEN = re.compile(
    r"([ \t\f]*)(\r\n|\r|\n|\\(?:\r\n|\r|\n)|#[^\r\n]*"
    r"|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|\*\*|.)"
)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_OPERAND = rf"(?:{_NAME}|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
# groups: 1 target, 2 function, 3 its argument, 4 its ')', 5 left operand, 6 operator, 7 right operand,
# 8 comment
SIMPLE = re.compile(
    rf"[ \t]*({_NAME})[ \t]*=[ \t]*"
    rf"(?:({_NAME})\([ \t]*({_OPERAND})[ \t]*(\))|({_OPERAND})(?:[ \t]*(\*\*|[-+*/^])[ \t]*({_OPERAND}))?)"
    r"[ \t]*(?:;|(#[^\r\n]*)?(?:\r\n|\r|\n|\Z))"
)
OPERATORS = frozenset(["+", "-", "*", "/", "**", "^", "(", ")", ",", "=", ";"])

_KIND = {ch: NAME for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"}
_KIND.update({ch: NUM for ch in "0123456789"})
_KIND.update({"\n": _NL, "\r": _NL, "#": _COMMENT})

# What a stray character most likely means, for the error message.
_FOREIGN = {
    ".": "attribute access is not allowed",
    "[": "subscripts and lists are not allowed",
    "]": "subscripts and lists are not allowed",
    "{": "sets and dicts are not allowed",
    "}": "sets and dicts are not allowed",
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    ":": "':' is not allowed (no slices, annotations, lambdas or walrus :=)",
    "\\": "a backslash is only allowed at the end of a line, to continue it",
    "`": "backticks are not allowed",
    "$": "'$' is not allowed (drop the $ signs of the slides' math)",
    "\x00": "NUL bytes are not allowed",
}
_PREFIXES = {p: "f-strings are not allowed" for p in ("f", "rf", "fr")}
_PREFIXES.update({p: "bytes literals are not allowed" for p in ("b", "rb", "br")})
_PREFIXES.update({p: "strings are not allowed" for p in ("r", "u")})
_OPERATOR_WORDS = {
    "%": "the modulo operator %", "@": "the matrix operator @", "&": "the operator &",
    "|": "the operator |", "~": "the operator ~", "<": "comparisons", ">": "comparisons",
    "!": "comparisons", "?": "'?'",
}


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int


class Statement(NamedTuple):
    tokens: list[Token]
    comment: str  # the trailing comment on the statement's last line, if any


def foreign(text: str, prev: Token | None = None) -> str:
    """Name a character that is not part of the language; `prev` is a token touching it."""
    if text in "'\"" and prev is not None and prev.text.lower() in _PREFIXES:
        return _PREFIXES[prev.text.lower()]
    if text in _FOREIGN:
        return _FOREIGN[text]
    if text in _OPERATOR_WORDS:
        return f"{_OPERATOR_WORDS[text]} is not supported"
    code = ord(text)
    if code > 127:
        label = unicodedata.name(text, "unnamed character")
        hint = " (use '-')" if text in "\u2212\u2013\u2014" else ""
        return f"non-ASCII character {text!r} (U+{code:04X}, {label}) is not allowed{hint}; names are ASCII"
    return f"character {text!r} (0x{code:02x}) is not allowed"


def statements(source: Source) -> Iterator[Statement | re.Match]:
    """Split the text into statements, tracking parentheses so a statement can span lines.

    A one-line statement of the commonest shapes (`t = a op b`, `t = fn(a)`, `t = a`) comes out
    as one regex match, which the parser reads without making tokens: generated programs are
    almost all such lines, and per-token work would dominate their cost.
    """
    text = source.text
    simple = SIMPLE.match
    pos, end = 0, len(text)
    while pos < end:
        m = simple(text, pos)
        if m is not None:
            yield m
            pos = m.end()
            continue
        stmt, pos = statement(source, pos)
        if stmt is not None:
            yield stmt


def statement(source: Source, pos: int) -> tuple[Statement | None, int]:
    """Tokens of the next statement from `pos`; returns it and where the next one starts."""
    tokens: list[Token] = []
    comment = ""
    depth = 0
    kinds = _KIND
    new = tuple.__new__  # Token(...) without the NamedTuple constructor's overhead: this loop is hot
    for m in _TOKEN.finditer(source.text, pos):
        text = m.group(2)
        start = m.start(2)
        kind = kinds.get(text[0], OP)
        if kind is NAME or kind is NUM:
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
            elif text[0] != "\\" or len(text) == 1:
                prev = tokens[-1] if tokens and tokens[-1].end == start else None
                raise InputError(foreign(text, prev), source.locate(start))
        elif kind is _COMMENT:
            comment = text[1:].strip()
        elif depth <= 0:  # a newline outside parentheses ends the statement
            if tokens:
                return Statement(tokens, comment), m.end()
            comment, depth = "", 0
    return (Statement(tokens, comment) if tokens else None), len(source.text)


RESERVED = frozenset(keyword.kwlist)


def keyword_message(word: str) -> str | None:
    """Python keywords have no place in the language; say what they would have been."""
    if word not in RESERVED:
        return None
    if word == "lambda":
        return "lambda is not allowed"
    if word in ("True", "False", "None"):
        return f"{word} is not a number"
    if word in ("for", "in", "if", "else", "async"):
        return f"'{word}' is not allowed (no comprehensions or conditionals)"
    return f"the Python keyword '{word}' is not allowed"
