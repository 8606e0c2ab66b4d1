"""Parse stage, part four: hand-written backward-pass lines `d<out>d<node> = expr`.

A line is a claim when its name splits into an assigned <out> and a known <node>; its right-hand
side becomes a small graph of its own whose inputs are forward names and other claims.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import replace

from ..errors import InputError, Source
from ..graph import INPUT, Claim, Graph, Node
from .lexer import NAME, Statement, Token
from .syntax import Builder, check_name, expression

DIRECTIVE = "# backprop: output"
_DIRECTIVE = re.compile(r"^[ \t]*#[ \t]*backprop:[ \t]*output[ \t]+(\S+)[ \t]*\r?$", re.M)


def directive(text: str) -> str | None:
    """The output a file names in a line `# backprop: output f`; then `d<name>` is a claim d f / d name."""
    found = _DIRECTIVE.search(text)
    return found.group(1) if found else None


def claimlike(name: str, short: bool = False) -> bool:
    """Long enough to be `d<out>d<node>` (or `d<node>` once the output is known): cheap, so the parser's
    one-line path can ask every line."""
    return len(name) >= (2 if short else 4) and name[0] == "d"


def read_claim(
    name: str, assigned: Container[str], known: Container[str], is_gate: Callable[[str], bool]
) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """The claim rule: `d<out>d<node>` (or `d<out>_d<node>`) with <out> assigned and <node> known.

    Returns (out, node) for a claim, and separately the first near miss: a split whose <out> is a
    gate but whose <node> is unknown, which the parser reports as an error.
    """
    if not claimlike(name):
        return None, None
    near_miss = None
    for out, wrt in _splits(name):
        if out in assigned and wrt in known:
            return (out, wrt), None
        if near_miss is None and is_gate(out):
            near_miss = (out, wrt)
    return None, near_miss


def adds(toks: Sequence[Token]) -> bool:
    """`name += ...`: the lexer gives '+' and '=' as two tokens, side by side."""
    return (
        len(toks) >= 3
        and toks[0].kind is NAME
        and toks[1].text == "+"
        and toks[2].text == "="
        and (toks[1].end == toks[2].start)
    )


def not_accumulable(name: str, rhs: Sequence[Token]) -> str:
    if not rhs:
        return f"nothing after '+=' in {name}"
    return (
        f"augmented assignment is not allowed: {name} is not a gradient claim, and only a claim accumulates "
        "(d<out>d<node> += expr, one line per edge)"
    )


def _splits(name: str):
    """Every way to read a name as d<out>d<node> or d<out>_d<node>, as (out, node)."""
    rest = name[1:]
    for i in range(1, len(rest) - 1):
        if rest[i] == "d":
            yield (rest[: i - 1] if rest[i - 1] == "_" and i > 1 else rest[:i]), rest[i + 1 :]


class ClaimLines:
    """The claims of one parse, in the order read, and what the forward pass must know of them."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.claims: list[Claim] = []
        self.at: dict[str, int] = {}  # claim name -> offset
        self.claimed: dict[tuple[int, int], int] = {}  # (of, wrt) node ids -> offset of the claim about them
        self.pairs: dict[str, tuple[int, int]] = {}  # claim name -> its pair
        self.pending: list[Token] = []  # names in claims that were unknown when read

    def split(
        self,
        name: str,
        tok: Token,
        nodes: Sequence[Node],
        defined: Mapping[str, int],
        def_at: Mapping[str, int],
        output: str | None = None,
    ) -> tuple[str, str] | None:
        """Read `d<out>d<node>` or `d<out>_d<node>` by the names the program has defined so far; with a
        known output, `d<node>` first (CS231n's dx, dnum for d f / d x, d f / d num)."""
        if name in defined:
            return None
        if output is not None and output in defined and name[0] == "d" and name[1:] in defined:
            return output, name[1:]
        split, gate_named = read_claim(
            name, def_at, defined, lambda out: out in defined and nodes[defined[out]].op != INPUT
        )
        if split is not None:
            return split
        if gate_named is not None:
            out, wrt = gate_named
            raise self.error(
                f"{name} reads as a claim about d{out}/d{wrt}, but {wrt} is not defined{suggest(wrt, defined)}", tok
            )
        return None

    def read(
        self,
        target: Token,
        rhs: Sequence[Token],
        split: tuple[str, str],
        stmt: Statement,
        defined: Mapping[str, int],
        constant: Callable[[str], float | None],
        adds: bool = False,
    ) -> None:
        """One claim line (`adds`: a `+=` line); `constant` gives pi and e unless the program or a binding
        owns the name."""
        name = target.text
        out, wrt = split
        pair = (defined[out], defined[wrt])
        if not (adds and self.pairs.get(name) == pair):
            self.check_new(name, pair, target, out, wrt)
        b = Builder(self.source)
        refs: dict[str, int] = {}

        def resolve(tok: Token) -> int:
            ref = tok.text
            if ref in refs:
                return refs[ref]
            if ref == name:
                raise self.error(f"this claim uses {name} in its own definition", tok)
            if ref in self.at or ref in defined:
                refs[ref] = b.leaf(INPUT, ref, None, tok.start, tok.end)
                return refs[ref]
            value = constant(ref)
            if value is not None:
                return b.const(value, tok.start, tok.end)
            check_name(ref, tok, self.source)
            self.pending.append(tok)
            refs[ref] = b.leaf(INPUT, ref, None, tok.start, tok.end)
            return refs[ref]

        root = expression(rhs, b, resolve, assignment=True)
        graph = Graph(tuple(b.nodes), root, self.source)
        self.claims.append(Claim(name, pair[1], graph, target.start, rhs[-1].end, stmt.comment, pair[0], adds))
        self.at.setdefault(name, target.start)
        self.pairs[name] = pair
        self.claimed.setdefault(pair, target.start)

    def check_new(self, name: str, pair: tuple[int, int], target: Token, out: str, wrt: str) -> None:
        """A claim is identified by its pair (d out / d wrt): one name per pair, one pair per name."""
        if name in self.at:
            raise self.error(
                f"{name} is claimed twice: on line {self.line(self.at[name])} and line {self.line(target.start)}"
                " (to add a contribution, write +=)",
                target,
            )
        if pair in self.claimed:
            first = self.line(self.claimed[pair])
            raise self.error(f"{name}: d{out}/d{wrt} is already claimed on line {first}", target)

    def check_pending(self, defined: Mapping[str, int], def_at: Mapping[str, int]) -> None:
        """Names a claim used before anything defined them must be defined by the end, as forward names."""
        for tok in self.pending:
            name = tok.text
            if name in self.at:
                raise self.error(
                    f"this claim uses {name}, which is claimed later, on line {self.line(self.at[name])}", tok
                )
            if name in def_at:
                raise self.error(f"this claim uses {name} before it is defined on line {self.line(def_at[name])}", tok)
            self.unknown(tok, unknown_text(name, defined, def_at, self.at))

    def unknown(self, tok: Token, message: str) -> None:
        """The claim that reads an unknown name becomes an error line of its own; the others are graded."""
        k = next(k for k, c in enumerate(self.claims) if c.start <= tok.start <= c.end)
        if self.claims[k].error is None:
            self.claims[k] = replace(self.claims[k], error=self.error(message, tok))

    def check_misnamed(self, nodes: Sequence[Node], defined: Mapping[str, int], def_at: Mapping[str, int]) -> None:
        """A line that reads as a claim about an output the program does not have (dLdx where the
        output is f), and that nothing uses, is a misnamed claim: as a forward line it would pass
        silently, or become the output itself."""
        suspects: dict[int, tuple[str, str, str]] = {}
        for name in [name for name in defined if name[0] == "d"]:  # no call per name of a long program
            if claimlike(name):
                i = defined[name]
                for out, wrt in _splits(name):
                    if out and out not in defined and wrt in defined:
                        suspects.setdefault(i, (name, out, wrt))
        if not suspects:  # the usual case: nothing more to look at
            return
        used = {a for node in nodes for a in node.args if a in suspects}
        for i, (name, out, wrt) in suspects.items():
            if i not in used:
                at = def_at[name]
                raise InputError(
                    f"{name} reads as a gradient claim d{out}/d{wrt}, but nothing is named {out}: "
                    f"name a claim after the output (d<output>d<node>), or this line otherwise",
                    self.source.locate(at, at + len(name)),
                )

    def error(self, message: str, tok: Token) -> InputError:
        return InputError(message, self.source.locate(tok.start, tok.end))

    def line(self, offset: int) -> int:
        return self.source.line_col(offset)[0]


def unknown_text(name: str, defined: Mapping[str, int], def_at: Mapping[str, int], claims) -> str:
    """Why a name in a claim has no value: a claim never written (dfdv), or a name nothing defines."""
    split, _ = read_claim(name, def_at, defined, lambda out: False)
    if split is not None:
        out, wrt = split
        return f"this claim uses {name} (d{out}/d{wrt}), but no line claims it: write {name} = ... on a line above"
    return f"unknown name {name} in a gradient claim{suggest(name, {**defined, **claims})}"


def suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]}?" if close else ""
