"""A measured prototype, not a dependency: how fast a compiled tokenizer and parser reads the bench's programs.

compiled_parse.c reads the subset of the language these programs use into the same columns as our
parser. This builds it with cc, checks that it gives the same graph as ours, column by column, and
times both on the same text in the same rounds. The tool itself stays pure Python.

    python bench/compiled.py     # mlp 10^5 and the four 10^6-token inputs, 3 rounds
"""

from __future__ import annotations

import ctypes
import math
import os
import shutil
import subprocess
import sys
import tempfile
from array import array
from functools import cache

sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout, not an install
import big  # bench/ is on sys.path as the script's own folder
import gen
import measure

from backpropcli.graph import CONST, INPUT, Columns
from backpropcli.ops import BINARY, CONSTANTS, FUNCTIONS, OPS, UNARY, accepts
from backpropcli.parse import parse
from backpropcli.parse.lexer import RESERVED

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compiled_parse.c")
CODES = {name: code for code, name in enumerate((INPUT, CONST, *OPS))}  # op name -> the C parser's op code
SYMBOLS = ("+", "-", "*", "/", "**", "%", "^")  # in the order of compiled_parse.c's symbol enum
INTS = ("op", "arg0", "arg1", "name_at", "name_len", "start", "end")  # its int32 columns, then `given`
OUTSIDE, TOO_SMALL = -1, -2
Int32 = ctypes.c_int32


class CodesStruct(ctypes.Structure):
    """compiled_parse.c's Codes: op codes, precedences and associativity, from the op table."""

    _fields_ = (
        ("input", Int32),
        ("constant", Int32),
        ("copy", Int32),
        ("binary", Int32 * len(SYMBOLS)),
        ("precedence", Int32 * len(SYMBOLS)),
        ("right", Int32 * len(SYMBOLS)),
        ("unary", Int32 * 2),
        ("unary_precedence", Int32),
    )


class ColumnsStruct(ctypes.Structure):
    """compiled_parse.c's Columns: the caller's arrays, one per column."""

    _fields_ = (
        *((name, ctypes.POINTER(Int32)) for name in INTS),
        ("given", ctypes.POINTER(ctypes.c_double)),
        ("capacity", Int32),
    )


def load(source: str, keep: str | None = None) -> ctypes.CDLL | None:
    """Compile a prototype's C file and load it; None (said once) without a working cc. The library is
    built in a temporary directory, or at `keep`, where a library newer than the source is loaded as
    it is (a process that times itself need not compile)."""
    if keep is not None and os.path.exists(keep) and os.path.getmtime(keep) >= os.path.getmtime(source):
        return ctypes.CDLL(keep)
    cc = shutil.which("cc")
    with tempfile.TemporaryDirectory(prefix="backprop-compiled-") as folder:
        library = keep or os.path.join(folder, "prototype.so")
        command = [cc or "cc", "-O2", "-std=c99", "-shared", "-fPIC", source, "-o", library, "-lm"]
        if cc is None or subprocess.run(command, capture_output=True, check=False).returncode != 0:
            print("no C compiler: no prototype")
            return None
        return ctypes.CDLL(library)  # mapped: the file may go with its folder


def build(keep: str | None = None) -> ctypes.CDLL | None:
    """The compiled parser, its function's signature declared (built at `keep`, if given, as load())."""
    lib = load(SOURCE, keep)
    if lib is None:
        return None
    lib.parse.restype = ctypes.c_int
    lib.parse.argtypes = (
        ctypes.c_char_p,
        Int32,
        ctypes.POINTER(CodesStruct),
        ctypes.c_char_p,
        ctypes.POINTER(Int32),
        ctypes.POINTER(ColumnsStruct),
    )
    return lib


def codes() -> CodesStruct:
    copy, negate = UNARY["+"], UNARY["-"]
    table = CodesStruct(input=CODES[INPUT], constant=CODES[CONST], copy=CODES[copy.name])
    for i, symbol in enumerate(SYMBOLS):
        op = BINARY[symbol]
        table.binary[i], table.precedence[i], table.right[i] = CODES[op.name], op.precedence, op.right_assoc
    table.unary[0], table.unary[1], table.unary_precedence = CODES[copy.name], CODES[negate.name], negate.precedence
    return table


def specials() -> tuple[bytes, ctypes.Array]:
    """The names a program cannot define, one a line, each with a one-argument function's op code or -1."""
    names = sorted(RESERVED | set(FUNCTIONS) | set(CONSTANTS))
    calls = {name: CODES[op.name] for name, op in FUNCTIONS.items() if accepts(op, 1)}
    values = (Int32 * len(names))(*(calls.get(name, -1) for name in names))
    return "".join(f"{name}\n" for name in names).encode("ascii"), values


class Parser:
    """The compiled parser with its op table and its output columns, grown to fit the largest text read."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib, self.codes = lib, codes()
        self.names, self.values = specials()
        self.arrays: dict[str, ctypes.Array] = {}
        self.columns = ColumnsStruct()
        self.fit(1 << 16)

    def fit(self, rows: int) -> None:
        self.arrays = {name: (Int32 * rows)() for name in INTS}
        self.arrays["given"] = (ctypes.c_double * rows)()
        for name, column in self.arrays.items():
            setattr(self.columns, name, ctypes.cast(column, ctypes.POINTER(column._type_)))
        self.columns.capacity = rows

    def __call__(self, text: str) -> int:
        """The node count, or OUTSIDE for a text outside the subset (ours decides what it means)."""
        try:
            data = text.encode("ascii")
        except UnicodeEncodeError:
            return OUTSIDE
        if len(data) >= 2**31:  # offsets are int32 (the C parser's own limit is 64 MiB)
            return OUTSIDE
        return self.lib.parse(data, len(data), self.codes, self.names, self.values, self.columns)

    def read(self, text: str) -> int:
        """Parse, growing the columns until they hold the graph."""
        count = self(text)
        while count == TOO_SMALL:
            self.fit(2 * self.columns.capacity)
            count = self(text)
        return count

    def column(self, name: str, count: int) -> array:
        values = array("d" if name == "given" else "i")
        values.frombytes(memoryview(self.arrays[name]).cast("B")[: count * values.itemsize])
        return values


@cache
def parser() -> Parser | None:
    lib = build()
    return None if lib is None else Parser(lib)


def parse_columns(text: str) -> tuple[int, list[int], array, array]:
    """The compiled parse of a text: (node count, op codes, arg0, arg1); a count of -1 is outside the subset."""
    p = parser()
    if p is None:
        raise RuntimeError("no C compiler: no prototype")
    count = p.read(text)
    if count < 0:
        return count, [], array("i"), array("i")
    return count, list(p.column("op", count)), p.column("arg0", count), p.column("arg1", count)


def disagreement(ours: Columns, p: Parser, count: int, text: str) -> str | None:
    """The first column in which the compiled parse differs from ours, or None when every one agrees."""
    if count != len(ours):
        return f"nodes: ours {len(ours)}, compiled {count}"
    names = [
        None if at < 0 else text[at : at + n]
        for at, n in zip(p.column("name_at", count), p.column("name_len", count), strict=True)
    ]
    given = [None if math.isnan(v) else v for v in p.column("given", count)]
    checks = {
        "op": (array("i", map(CODES.__getitem__, ours.ops)), p.column("op", count)),
        "arg0": (ours.arg0, p.column("arg0", count)),
        "arg1": (ours.arg1, p.column("arg1", count)),
        "more": (ours.more, {}),
        "given": ([None if v is None else float(v) for v in ours.given], given),
        "name": (ours.names, names),
        "start": (ours.starts, p.column("start", count)),
        "end": (ours.ends, p.column("end", count)),
    }
    for column, (mine, theirs) in checks.items():
        if mine != theirs:
            first = next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b), None)
            return f"{column} differs (first at node {first})"
    return None


def prototype(files: dict[str, str], rounds: int) -> dict[str, dict[str, float | int]]:
    """Check that ours and the compiled parse build the same columns from each text, then time both in
    the same rounds (medians, the collector paused); prints a table. An input whose columns differ is
    not timed. {} without a C compiler."""
    p = parser()
    if p is None:
        return {}
    results: dict[str, dict[str, float | int]] = {}
    rows = []
    for name, text in files.items():
        count, problem = checked(p, text)
        if problem is not None:
            rows.append((name, f"{count:,}", "skipped", "skipped", "", problem))
            continue
        samples = measure.rounds(
            {
                "ours": lambda text=text: measure.timed(lambda: parse(text), gc_off=True),
                "compiled": lambda text=text: measure.timed(lambda: p(text), gc_off=True),
            },
            rounds,
        )
        ours, compiled = measure.median(samples["ours"]), measure.median(samples["compiled"])
        results[name] = {"ours": ours, "compiled": compiled, "nodes": count}
        ratio = measure.paired_ratio(samples, "ours", "compiled")
        rows.append((name, f"{count:,}", ms(ours), ms(compiled), f"{ratio:.0f}x", "same"))
    table(rows, rounds)
    return results


def checked(p: Parser, text: str) -> tuple[int, str | None]:
    """The compiled parse's node count (its columns grown to fit before any clock runs), and how its
    columns differ from ours, None when they are the same."""
    count = p.read(text)
    if count < 0:
        return count, "outside the prototype's subset"
    return count, disagreement(parse(text).columns, p, count, text)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def table(rows: list[tuple[str, ...]], rounds: int) -> None:
    header = ("input", "nodes", "ours", "compiled", "ratio", "columns")
    print("Parsing the same text: ours (pure Python) and a compiled prototype (bench/compiled_parse.c); medians of")
    print(f"{rounds} rounds, the collector paused; ratio: ours / compiled, the median of paired rounds; columns: the")
    print(
        "compiled parse's op, args, values, names and spans against ours (an input whose columns differ is not timed)."
    )
    print_rows(header, rows)


def print_rows(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A prototype's table: the first column to the left, the last as it is, the others to the right."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = [row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:-1], widths[1:-1], strict=True))]
        print("  ".join([*cells, row[-1]]))


def main() -> None:
    files = {"mlp 1e5": "".join(gen.lines(gen.program("mlp", 100_000)))}
    files.update({name: big.PROGRAMS[name]() for name in big.INPUTS})
    if len(prototype(files, rounds=3)) < len(files):
        sys.exit(1)


if __name__ == "__main__":
    main()
