"""A measured prototype, not a dependency: how fast the engine runs with its two passes compiled.

compiled_passes.c runs forward and backward over the columns our Builder makes, for the ops the
bench's programs use, with the op table's rules. This builds it with cc, checks on every workload
that it gives the same values, gradients and local partials as ours, and times, in the same rounds,
ours, ours with the passes compiled (the same pure-Python build, its columns encoded for C), the
compiled passes alone, the flat-list tape (bench/tape.py) and micrograd. It also reads each program's
text with the compiled parser (bench/compiled_parse.c, through compiled.py) and runs the passes on
its columns as they are: what the engine costs when neither the build nor the passes run in Python.
The tool itself stays pure Python.

    python bench/compiled_passes.py           # the four workloads at N = 10^5, 3 rounds
    python bench/compiled_passes.py --quick   # N = 10^4, 1 round
"""

from __future__ import annotations

import argparse
import ctypes
import math
import os
import sys
from array import array
from functools import cache
from typing import NamedTuple

sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout, not an install
import compiled  # bench/ is on sys.path as the script's own folder
import gen
import measure
import peers
import tape
from sections import micrograd_once, ours_once

from backpropcli.autodiff import Backward, backward, forward
from backpropcli.graph import CONST, INPUT, Graph
from backpropcli.parse import parse

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compiled_passes.c")
KINDS = (INPUT, CONST, "add", "sub", "mul", "pow", "tanh")  # in the order of compiled_passes.c's op enum
CODES = compiled.CODES  # op name -> op code: the compiled parser's, so its columns are read as they are
KIND_OF = array("i", [KINDS.index(name) if name in KINDS else -1 for name in CODES])  # op code -> C kind
UNSET = {None: math.nan}  # a node's value before forward: NaN, so a leaf without one stops forward there
MALFORMED = -(2**31)
TOLERANCE = 1e-12  # relative, between our numbers and the compiled passes'
GOALS = (8.0, 1.5)  # micrograd / ours at least, ours / tape at most
Int32, Double = ctypes.c_int32, ctypes.c_double


class Outside(ValueError):
    """A graph the compiled passes do not take: an op outside KINDS, or a gate of more than two arguments."""


class Stopped(ArithmeticError):
    """The compiled passes stopped at a node: a value, a gradient or a local partial that is not finite."""


class Encoded(NamedTuple):
    """A graph's columns as the compiled passes read them."""

    count: int
    ops: array  # 'i', the C op codes
    arg0: array  # 'i', the graph's own column
    arg1: array
    output: int
    values: array  # 'd', the leaves' values (gates' filled by forward)


class Passes(NamedTuple):
    """What the compiled passes leave: every node's value and gradient, the local partials of every gate
    the output reaches (NaN elsewhere, and p1 for one-argument gates), and whether the output reaches it."""

    values: array
    grads: array
    p0: array
    p1: array
    reached: bytearray


def build(keep: str | None = None) -> ctypes.CDLL | None:
    """The compiled passes, their function's signature declared (built at `keep`, if given, as
    compiled.load() builds)."""
    lib = compiled.load(SOURCE, keep)
    return None if lib is None else declare(lib)


def declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """The passes' signature, declared on a loaded library."""
    lib.passes.restype = ctypes.c_int
    ints, doubles, flags = ctypes.POINTER(Int32), ctypes.POINTER(Double), ctypes.POINTER(ctypes.c_ubyte)
    lib.passes.argtypes = (Int32, ints, ints, ints, Int32, doubles, doubles, doubles, doubles, flags, ints, Int32)
    return lib


@cache
def library() -> ctypes.CDLL | None:
    return build()


def encode(graph: Graph) -> Encoded:
    """The graph's columns for the compiled passes: op codes looked up per node, the argument columns
    as they are (their buffers are passed, not copied), the leaves' values as floats."""
    c = graph.columns
    if c.more:
        raise Outside(f"gate {min(c.more)} has more than two arguments")
    if c.arg0.itemsize != 4:
        raise Outside(f"the argument columns hold {c.arg0.itemsize}-byte ints, not int32")
    outside = set(c.ops).difference(KINDS)
    if outside:
        raise Outside(f"op {min(outside)!r} is not one of {', '.join(KINDS)}")
    ops = array("i", map(CODES.__getitem__, c.ops))
    return Encoded(len(ops), ops, c.arg0, c.arg1, graph.output, array("d", map(UNSET.get, c.given, c.given)))


def passes(e: Encoded) -> Passes:
    """Forward and backward, compiled, on encoded columns (their values array is filled in place)."""
    lib = library()
    if lib is None:
        raise RuntimeError("no C compiler: no prototype")
    n = e.count
    ints = Int32 * n
    return on_buffers(
        lib, n, ints.from_buffer(e.ops), ints.from_buffer(e.arg0), ints.from_buffer(e.arg1), e.output, e.values
    )


def on_buffers(lib: ctypes.CDLL, n: int, ops, arg0, arg1, output: int, values: array) -> Passes:
    """The compiled passes on columns already in C arrays (values: the leaves' values, filled in place)."""
    grads, p0, p1 = array("d", bytes(8 * n)), array("d", bytes(8 * n)), array("d", bytes(8 * n))
    reached = bytearray(n)
    doubles = Double * n
    table = (Int32 * len(KIND_OF)).from_buffer(KIND_OF)
    status = lib.passes(
        n,
        ops,
        arg0,
        arg1,
        output,
        doubles.from_buffer(values),
        doubles.from_buffer(grads),
        doubles.from_buffer(p0),
        doubles.from_buffer(p1),
        (ctypes.c_ubyte * n).from_buffer(reached),
        table,
        len(KIND_OF),
    )
    if status:
        raise Stopped(stopped(status))
    return Passes(values, grads, p0, p1, reached)


def stopped(status: int) -> str:
    if status == MALFORMED:
        return "the columns are not a graph of the compiled ops"
    if status < 0:
        return f"forward: the value of node {-status - 1} is not finite (or a leaf has no value)"
    return f"backward: a gradient at node {status - 1}, or a local partial of it, is not finite"


def run(graph: Graph) -> Passes:
    """Encode the graph and run both compiled passes: values, gradients, partials and reach, as arrays."""
    return passes(encode(graph))


# ---- agreement ----------------------------------------------------------------------------------


def close(mine: float, theirs: float) -> bool:
    """Equal within TOLERANCE, relative; NaN is NaN here (a partial with no value, in both)."""
    x = float(mine)  # ours: an int, a Fraction or a float
    return x == theirs or (x != x and theirs != theirs) or abs(x - theirs) <= TOLERANCE * max(abs(x), abs(theirs))


def disagreement(graph: Graph, values: list, back: Backward, got: Passes) -> str | None:
    """Where the compiled passes first differ from ours (values, then gradients, then each gate's
    partials and whether the output reaches it), or None when every one agrees."""
    for what, mine, theirs in (("value", values, got.values), ("gradient", back.grads, got.grads)):
        for i, (m, t) in enumerate(zip(mine, theirs, strict=True)):
            if not close(m, t):
                return f"{what} of node {i}: ours {m!r}, compiled {t!r}"
    ops = graph.columns.ops
    for i, locs in enumerate(back.partials):
        kept = (got.p0[i], got.p1[i])
        if locs is None:
            if ops[i] not in (INPUT, CONST) and got.reached[i]:
                return f"node {i}: ours does not reach it, compiled does"
            if not (math.isnan(kept[0]) and math.isnan(kept[1])):
                return f"partials of node {i}: ours none, compiled {kept}"
            continue
        if not got.reached[i]:
            return f"node {i}: ours reaches it, compiled does not"
        if len(locs) == 1 and not math.isnan(kept[1]):
            return f"partials of node {i}: ours {locs}, compiled {kept}"
        if not all(map(close, locs, kept)):
            return f"partials of node {i}: ours {locs}, compiled {kept[: len(locs)]}"
    return None


def checked(graph: Graph) -> str | None:
    """How the compiled passes' numbers on a graph differ from ours, None when they are the same."""
    values = forward(graph, {})
    try:
        got = run(graph)
    except (Outside, Stopped) as refused:
        return str(refused)
    return disagreement(graph, values, backward(graph, values), got)


def from_text(p: compiled.Parser, text: str) -> Passes:
    """A program's text read by the compiled parser and run by the compiled passes on its columns as
    they are: nothing converted, nothing in Python per node. The output is the last node."""
    count = p(text)
    if count < 0:
        raise Outside("the text is outside the compiled parser's subset, or its columns are too small")
    return on_parsed(p, count)


def on_parsed(p: compiled.Parser, count: int) -> Passes:
    """The compiled passes on the `count` nodes the compiled parser last read, in its own arrays."""
    columns = p.arrays
    return on_buffers(library(), count, columns["op"], columns["arg0"], columns["arg1"], count - 1, columns["given"])


def text_checked(p: compiled.Parser, text: str) -> str | None:
    """How the compiled parse and passes of a text differ from ours (our parse, forward and backward),
    None when the columns and every number are the same."""
    count, problem = compiled.checked(p, text)
    if problem is not None:
        return problem
    graph = parse(text)
    if graph.output != count - 1:
        return f"ours reads node {graph.output} as the output, not the last"
    try:
        got = from_text(p, text)
    except (Outside, Stopped) as refused:
        return str(refused)
    got = got._replace(values=p.column("given", count))  # the parser's array is longer than the graph
    values = forward(graph, {})
    return disagreement(graph, values, backward(graph, values), got)


def ours_from_text(text: str) -> float:
    """The tool's own engine from the text: our parse, forward and backward."""

    def once():
        graph = parse(text)
        values = forward(graph, {})
        return graph, values, backward(graph, values)

    return measure.timed(once, gc_off=True)


# ---- timing -------------------------------------------------------------------------------------


def compiled_once(prog: list[tuple]) -> float:
    """The same build, its columns encoded, and the compiled passes."""

    def once():
        graph = peers.build_ours(prog)
        return graph, run(graph)

    return measure.timed(once, gc_off=True)


def prototype(sizes: tuple[int, ...], rounds: int) -> dict[str, dict[str, float | int]]:
    """Check that ours and the compiled passes give the same numbers on each workload, then time ours,
    ours with the passes compiled, the compiled passes alone, the build and the encoding alone, the tape
    and micrograd in the same rounds (medians; paired ratios); prints a table. A workload whose numbers
    differ is not timed. {} without a C compiler."""
    if library() is None:
        return {}
    results: dict[str, dict[str, float | int]] = {}
    rows, text_rows = [], []
    for workload in gen.WORKLOADS:
        for n in sizes:
            where, prog = f"{workload}/{n}", gen.program(workload, n)
            graph = peers.build_ours(prog)
            gates = gen.gates(prog)
            problem = checked(graph)
            if problem is not None:
                rows.append((where, f"{gates:,}", *["skipped"] * 7, "", "", problem))
                continue
            encoded = encode(graph)
            text, reader = "".join(gen.lines(prog)), compiled.parser()
            from_text_problem = "no compiled parser" if reader is None else text_checked(reader, text)
            on_text = {
                "ours, text": lambda text=text: ours_from_text(text),
                "C parse + C passes, text": lambda text=text, reader=reader: measure.timed(
                    lambda: from_text(reader, text), gc_off=True
                ),
            }
            samples = measure.rounds(
                {
                    **({} if from_text_problem else on_text),
                    "ours": lambda prog=prog: ours_once(prog),
                    "ours, C passes": lambda prog=prog: compiled_once(prog),
                    "C passes": lambda e=encoded: measure.timed(lambda: passes(e), gc_off=True),
                    "build": lambda prog=prog: measure.timed(lambda: peers.build_ours(prog), gc_off=True),
                    "encode": lambda g=graph: measure.timed(lambda: encode(g), gc_off=True),
                    "tape": lambda prog=prog: measure.timed(lambda: tape.run(prog), gc_off=True),
                    "micrograd": lambda prog=prog: measure.timed(lambda: micrograd_once(prog)),
                },
                rounds,
            )
            speedup = measure.paired_ratio(samples, "micrograd", "ours, C passes")
            to_tape = measure.paired_ratio(samples, "ours, C passes", "tape")
            medians = {name: measure.median(values) for name, values in samples.items()}
            results[where] = {
                "gates": gates,
                "nodes": encoded.count,
                **medians,
                "micrograd_over_ours_c_passes": speedup,
                "ours_c_passes_over_tape": to_tape,
                "micrograd_over_ours": measure.paired_ratio(samples, "micrograd", "ours"),
                "ours_over_tape": measure.paired_ratio(samples, "ours", "tape"),
                "ours_over_ours_c_passes": measure.paired_ratio(samples, "ours", "ours, C passes"),
            }
            if from_text_problem:
                text_rows.append((where, f"{gates:,}", "skipped", "skipped", "", "", from_text_problem))
            else:
                text_speedup = measure.paired_ratio(samples, "micrograd", "C parse + C passes, text")
                text_to_tape = measure.paired_ratio(samples, "C parse + C passes, text", "tape")
                results[where].update(
                    micrograd_over_compiled_text=text_speedup,
                    compiled_text_over_tape=text_to_tape,
                    micrograd_over_ours_text=measure.paired_ratio(samples, "micrograd", "ours, text"),
                )
                text_rows.append(
                    (
                        where,
                        f"{gates:,}",
                        compiled.ms(medians["ours, text"]),
                        compiled.ms(medians["C parse + C passes, text"]),
                        f"{text_speedup:.1f}x {'met' if text_speedup >= GOALS[0] else 'short'}",
                        f"{text_to_tape:.2f}x {'met' if text_to_tape <= GOALS[1] else 'over'}",
                        "same",
                    )
                )
            rows.append(
                (
                    where,
                    f"{gates:,}",
                    *(
                        compiled.ms(medians[name])
                        for name in ("ours", "ours, C passes", "C passes", "build", "encode", "tape", "micrograd")
                    ),
                    f"{speedup:.1f}x {'met' if speedup >= GOALS[0] else 'short'}",
                    f"{to_tape:.2f}x {'met' if to_tape <= GOALS[1] else 'over'}",
                    "same",
                )
            )
    table(rows, rounds)
    print()
    text_table(text_rows)
    return results


def table(rows: list[tuple[str, ...]], rounds: int) -> None:
    header = (
        "workload/N",
        "gates",
        "ours",
        "ours, C passes",
        "C passes alone",
        "build",
        "encode",
        "tape",
        "micrograd",
        "micrograd / C (>= 8x)",
        "C / tape (<= 1.5x)",
        "numbers",
    )
    print("Build + forward + backward of the same op list: ours (pure Python) and ours with the two passes compiled")
    print(f"(bench/compiled_passes.c), beside the flat-list tape and micrograd; medians of {rounds} rounds, the")
    print("collector paused (micrograd's running, as in the engine section); ratios: medians of paired rounds.")
    print("ours, C passes: our Builder, the columns encoded, the compiled passes; C passes alone: on columns encoded")
    print("beforehand; build: our Builder alone; encode: the columns encoded alone; numbers: every value, gradient")
    print(f"and kept partial of the compiled passes against ours, within {TOLERANCE:g} relative (else not timed).")
    compiled.print_rows(header, rows)


def text_table(rows: list[tuple[str, ...]]) -> None:
    header = (
        "workload/N",
        "gates",
        "ours",
        "C parse + C passes",
        "micrograd / C (>= 8x)",
        "C / tape (<= 1.5x)",
        "numbers",
    )
    print("From the program's text, in the same rounds: ours (our parse, forward and backward) and the compiled")
    print("parser (bench/compiled_parse.c) with the compiled passes on its columns as they are, against micrograd and")
    print("the tape, which start from the op list in memory and parse nothing; numbers: the compiled columns and every")
    print("value, gradient and kept partial against ours (else not timed).")
    compiled.print_rows(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 10^4, 1 round")
    args = parser.parse_args()
    sys.setrecursionlimit(10**7)  # micrograd's topological sort recurses once per level of depth
    sizes = (10_000,) if args.quick else (100_000,)
    if len(prototype(sizes, rounds=1 if args.quick else 3)) < len(gen.WORKLOADS) * len(sizes):
        sys.exit(1)


if __name__ == "__main__":
    main()
