"""The floor: the least a pure-Python program of the tool's shape can do for one run, as a process.

    python bench/floor.py FILE [--no-check] [--format table|json] [--stages] [--compiled LIBRARY]

It reads the bench's programs (one-line statements `t = a op b`, `t = fn(a)`, `t = number`, as the
chain and the MLP are written, and one line `f = x + x + ... + x`, as the sum is) and keeps what a
run of backprop keeps: every node's op, arguments, name and span; the values and gradients; every
gate's local partials. Checked, it turns sympy's derivative of each op kind into a function once
(lambdify, from the op table's own templates), evaluates it at every edge of that kind and compares
it with ours, sums the gradients a second time from those partials and compares them, and then
prints the 60 largest edges and the inputs' gradients, or the numbers as one JSON document.

Each stage is written in the cheapest form we know: one regex pass over the text (a split for the
sum), the passes' loops written out per op, maps in C where a stage is a map. It has no error
messages, no exact numbers, no kinks, no claim lines, no layout, and it reads only these shapes: a
lower bound for the tool, not a tool. Where this floor misses a goal, the goal is beyond any
pure-Python program that keeps what backprop keeps, as far as the fastest forms we know go.

With --compiled it is the prototype of what such a goal would take: the text read by the compiled
parser (bench/compiled_parse.c), the passes run by the compiled passes on its columns
(bench/compiled_passes.c). Unchecked, its table or JSON is written by the compiled writer
(bench/compiled_output.c) straight from those columns, with no Python object per node; checked, the
numbers are handed to the floor's other stages as its lists, and the JSON is written by orjson
where it is installed. The libraries are built at LIBRARY (LIBRARY.passes, LIBRARY.output) the
first time, and loaded from there after.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from array import array
from bisect import bisect_right
from functools import partial
from itertools import accumulate, compress, count, repeat
from operator import eq, ge, getitem, is_not, mul, not_, or_

import tape  # the passes are the kept tape's: bench/ is on sys.path as the script's own folder
from tape import ADD, LEAF, MUL, POW, SUB, TANH

CODES = {"+": ADD, "-": SUB, "*": MUL, "**": POW, "tanh": TANH}
NAMES = {ADD: "add", SUB: "sub", MUL: "mul", POW: "pow", TANH: "tanh"}
ROWS = 60
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compiled_output.c")  # the compiled writer

# one statement per line: a call of one argument, two operands and an operator, or a number
LINE = re.compile(
    r"^([A-Za-z_]\w*) = (?:(tanh)\(([A-Za-z_]\w*)\)|([\w.]+) (\*\*|[-+*]) ([\w.]+)|(-?[\d.]+))$", re.M | re.ASCII
)
SUM = re.compile(r"^([A-Za-z_]\w*) = ([A-Za-z_]\w*(?: \+ [A-Za-z_]\w*)+)$", re.M | re.ASCII)


class Program:
    """The columns: op code, arguments, name, given value, span; one list or array per field."""

    def __init__(self) -> None:
        self.ops: list[int] = []
        self.arg0 = array("i")
        self.arg1 = array("i")
        self.names: list[str | None] = []
        self.given: list[float | None] = []
        self.starts = array("i")
        self.ends = array("i")
        self.defined: dict[str, int] = {}


def parse(text: str) -> Program:
    p = Program()
    ops, a0, a1, names, given = p.ops.append, p.arg0.append, p.arg1.append, p.names.append, p.given.append
    st, en, defined = p.starts.append, p.ends.append, p.defined

    def operand(word: str, start: int) -> int:
        i = defined.get(word)
        if i is not None:
            return i
        i = len(p.ops)
        ops(LEAF)
        a0(-1)
        a1(-1)
        names(None)
        given(float(word))
        st(start)
        en(start + len(word))
        return i

    at = 0
    for m in LINE.finditer(text):
        if m.start() != at:  # a line of another shape: the sum's
            _flat_sum(p, text, at, m.start())
        at = m.end() + 1
        target, fn, arg, left, sym, right, number = m.groups()
        if number is not None:
            defined[target] = len(p.ops)
            ops(LEAF)
            a0(-1)
            a1(-1)
            names(target)
            given(float(number))
            st(m.start(1))  # an input spans its name, as the tool's do
            en(m.end(1))
            continue
        if fn is not None:
            x, y, op, start, end = defined[arg], -1, TANH, m.start(2), m.end(3) + 1
        else:
            x, y, op = operand(left, m.start(4)), operand(right, m.start(6)), CODES[sym]
            start, end = m.start(4), m.end(6)
        defined[target] = len(p.ops)
        ops(op)
        a0(x)
        a1(y)
        names(target)
        given(None)
        st(start)
        en(end)
    if at < len(text):
        _flat_sum(p, text, at, len(text))
    return p


def read_compiled(text: str, library: str):
    """The compiled parser (bench/compiled_parse.c, built at `library`) with the text's columns read
    into its arrays, and their count."""
    import compiled

    lib = compiled.build(keep=library)
    if lib is None:
        raise SystemExit("floor.py --compiled: no C compiler")
    reader = compiled.Parser(lib)
    reader.fit(max(1 << 16, 2 * text.count("\n") + 16))  # two nodes a statement at most, but the sum's
    n = reader.read(text)
    if n < 0:
        raise SystemExit("floor.py --compiled: the text is outside the compiled parser's subset")
    return reader, n


def program_of(reader, n: int, text: str) -> Program:
    """The compiled parser's columns as the floor's lists: what handing them to Python costs."""
    import compiled

    kinds = dict.fromkeys(compiled.CODES.values(), LEAF)  # input, constant: a leaf
    kinds.update({compiled.CODES[name]: code for code, name in NAMES.items()})
    p = Program()
    p.ops = list(map(kinds.__getitem__, reader.column("op", n)))
    p.arg0, p.arg1 = reader.column("arg0", n), reader.column("arg1", n)
    p.starts, p.ends = reader.column("start", n), reader.column("end", n)
    p.given = [None if v != v else v for v in reader.column("given", n)]  # NaN: a gate
    spans = zip(reader.column("name_at", n), reader.column("name_len", n), strict=True)
    p.names = [None if at < 0 else text[at : at + k] for at, k in spans]
    p.defined = {name: i for i, name in enumerate(p.names) if name is not None}
    return p


def passes_compiled(reader, n: int, library: str):
    """Forward and backward by the compiled passes (bench/compiled_passes.c, built beside `library`) on
    the compiled parser's own columns: their values, gradients, partials and reach, in arrays."""
    import compiled_passes

    lib = compiled_passes.build(keep=library + ".passes")
    if lib is None:
        raise SystemExit("floor.py --compiled: no C compiler")
    return compiled_passes.on_buffers(
        lib, n, *(reader.arrays[name] for name in ("op", "arg0", "arg1")), n - 1, reader.arrays["given"]
    )


def numbers_of(p: Program, reader, n: int, got) -> tuple[list, list, list]:
    """The compiled passes' values, gradients and kept partials as the floor's lists."""
    values = reader.column("given", n).tolist()
    grads = got.grads.tolist()
    one = [None if op == LEAF else op == TANH for op in p.ops]  # a gate's partials: one, or two
    partials = [
        None if single is None or not reached else (a,) if single else (a, b)
        for single, reached, a, b in zip(one, got.reached, got.p0, got.p1, strict=True)
    ]
    return values, grads, partials


def output_compiled(form: str, reader, n: int, text: str, got, library: str, out) -> None:
    """The floor's output, "json" or "table", written by the compiled writer (bench/compiled_output.c,
    built beside `library`) from the compiled parser's columns and the compiled passes' numbers: no
    Python object per node."""
    import ctypes

    import compiled
    import compiled_passes

    lib = compiled.load(OUTPUT, keep=library + ".output")
    if lib is None:
        raise SystemExit("floor.py --compiled: no C compiler")
    ints, doubles, flags = ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_double), ctypes.c_ubyte
    columns, names = reader.arrays, ("arg0", "arg1", "name_at", "name_len")
    header = [n, columns["op"], (ctypes.c_int32 * len(compiled_passes.KIND_OF)).from_buffer(compiled_passes.KIND_OF)]
    header.append((ctypes.c_char_p * len(compiled.CODES))(*(name.encode("ascii") for name in compiled.CODES)))
    header += [columns[name] for name in names]
    numbers = [columns["given"], *((ctypes.c_double * n).from_buffer(c) for c in (got.grads, got.p0, got.p1))]
    numbers.append((flags * n).from_buffer(got.reached))
    if form == "json":
        write, arguments = lib.write_document, [*header, columns["start"], text.encode("ascii"), *numbers]
        types = [ctypes.c_int32, ints, ints, ctypes.POINTER(ctypes.c_char_p), ints, ints, ints, ints, ints]
    else:
        write, arguments = lib.write_table, [*header, text.encode("ascii"), *numbers]
        types = [ctypes.c_int32, ints, ints, ctypes.POINTER(ctypes.c_char_p), ints, ints, ints, ints]
    write.restype = ctypes.c_long
    write.argtypes = (*types, ctypes.c_char_p, *(doubles,) * 4, ctypes.POINTER(flags), ctypes.c_char_p, ctypes.c_int64)
    capacity = 200 * n + 1024 if form == "json" else 1 << 16
    while True:
        buffer = ctypes.create_string_buffer(capacity)
        size = write(*arguments, buffer, capacity)
        if size >= 0:
            break
        capacity *= 2
    out.flush()
    out.buffer.write(memoryview(buffer)[:size])


def writer_disagrees(text: str, library: str) -> str | None:
    """Where the compiled writer's document or table of a text differs from the floor's own, written
    from the same compiled columns and numbers; None when they read back the same."""
    import io

    reader, n = read_compiled(text, library)
    got = passes_compiled(reader, n, library)
    p = program_of(reader, n, text)
    values, grads, partials = numbers_of(p, reader, n, got)
    written = {}
    for form in ("json", "table"):
        ours = io.StringIO()
        if form == "json":
            document(p, text, values, grads, partials, ours)
        else:
            table(p, values, grads, partials, ours)
        theirs = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
        output_compiled(form, reader, n, text, got, library, theirs)
        written[form] = ours.getvalue(), theirs.buffer.getvalue().decode("ascii")
    a, b = map(json.loads, written["json"])
    if list(a["gradients"]) != list(b["gradients"]):
        return "gradients: the inputs differ"
    columns = [("gradients", list(a["gradients"].values()), list(b["gradients"].values()))]
    columns += [(f"{part}.{key}", a[part][key], b[part].get(key)) for part in ("nodes", "edges") for key in a[part]]
    columns.append(("table", *(_words(lines) for lines in written["table"])))
    for where, mine, theirs_ in columns:  # the same numbers: "%.17g" and repr differ in digits only
        if theirs_ is None or len(mine) != len(theirs_) or not all(map(_same, mine, theirs_)):
            return f"{where} differs"
    return None


def _words(lines: str) -> list:
    """A table's words, numbers read as floats (so 0.1 and 0.10000000000000001 are the same)."""
    words: list = []
    for word in lines.split():
        try:
            words.append(float(word) if "." in word or "e" in word or "n" in word.lower() else word)
        except ValueError:
            words.append(word)
    return words


def _same(a, b) -> bool:
    return (a == b and type(a) is type(b)) or (a != a and b != b)  # NaN is NaN here


def _flat_sum(p: Program, text: str, start: int, end: int) -> None:
    """`f = a + b + ...`: the gates of a left-to-right sum, their spans from the terms' offsets."""
    m = SUM.search(text, start, end)
    if m is None:
        raise SystemExit(f"floor.py reads only the bench's shapes; not this line: {text[start : start + 60]!r}")
    terms = m.group(2).split(" + ")
    ids = list(map(p.defined.__getitem__, terms))
    first = m.start(2)
    ends = list(accumulate(map(len, terms), lambda at, n: at + 3 + n, initial=first - 3))[1:]
    n = len(terms) - 1
    base = len(p.ops)
    p.ops.extend(repeat(ADD, n))
    p.arg0.append(ids[0])
    p.arg0.extend(range(base, base + n - 1))
    p.arg1.extend(ids[1:])
    p.names.extend(repeat(None, n - 1))
    p.names.append(m.group(1))
    p.given.extend(repeat(None, n))
    p.starts.extend(repeat(first, n))
    p.ends.extend(ends[1:])
    p.defined[m.group(1)] = base + n - 1


def forward(p: Program) -> list:
    values = list(p.given)
    tape.forward(p.ops, p.arg0, p.arg1, values)
    return values


def backward(p: Program, values: list) -> tuple[list, list]:
    """Gradients, and each gate's local partials (a shared tuple where they are constants)."""
    return tape.backward_kept(p.ops, p.arg0, p.arg1, values)


def varying(p: Program) -> list[bool]:
    """Per node: a gate or a named input, which carries a gradient; a literal does not."""
    return list(map(bool, map(or_, p.ops, map(is_not, p.names, repeat(None)))))


def local_checks(p: Program, values: list, partials: list, varies: list[bool], tol: float = 1e-9) -> int:
    """Every edge's local partial against sympy's derivative of its op, kind by kind: the number that
    disagree. An edge into a constant carries nothing and is left out, as the tool leaves it out."""
    import sympy as sp

    from backpropcli.ops import OPS

    close = _close(tol)
    bad = 0
    for code in set(p.ops) - {LEAF}:
        name = NAMES[code]
        gates = list(compress(count(), map(eq, p.ops, repeat(code))))
        arity = 1 if code == TANH else 2
        syms = sp.symbols(f"a0:{arity}", real=True)
        expr = OPS[name].sympy(sp, *syms)
        args = [list(map(c.__getitem__, gates)) for c in (p.arg0, p.arg1)[:arity]]
        for pos in range(arity):
            keep = list(map(varies.__getitem__, args[pos]))
            edges = gates if all(keep) else list(compress(gates, keep))
            columns = [list(map(values.__getitem__, compress(a, keep))) for a in args]
            d = sp.diff(expr, syms[pos])
            fn = sp.lambdify(syms, d, "math")
            theirs = [int(d)] * len(edges) if d.is_Integer else list(map(float, map(fn, *columns)))
            ours = list(map(getitem, map(partials.__getitem__, edges), repeat(pos)))
            same = list(map(eq, ours, theirs))  # most agree to the bit: only the others are compared closely
            bad += sum(not close(ours[k], theirs[k]) for k in compress(count(), map(not_, same)))
    return bad


def _close(tol: float):
    return partial(math.isclose, rel_tol=tol, abs_tol=tol)  # called in C by map


def totals(p: Program, partials: list) -> list:
    """The gradients summed a second time, from the checked partials."""
    n = len(partials)
    grads = [0.0] * n
    grads[n - 1] = 1.0
    first, second = p.arg0, p.arg1
    for i in range(n - 1, -1, -1):
        locs = partials[i]
        if locs is None:
            continue
        g = grads[i]
        grads[first[i]] += g * locs[0]
        if len(locs) == 2:
            grads[second[i]] += g * locs[1]
    return grads


def largest(sizes: list, count_: int = ROWS) -> list[int]:
    """The positions of the `count_` largest sizes, best first: a bar set on a sample, one pass in C."""
    if not sizes:
        return []
    sample = sorted(sizes[:: max(1, len(sizes) // 4096)], reverse=True)
    bar = sample[min(count_, len(sample)) - 1]
    above = list(compress(count(), map(ge, sizes, repeat(bar))))
    return sorted(above, key=lambda k: -sizes[k])[:count_]


def ledger(p: Program, partials: list, varies: list[bool]) -> tuple[list[int], list[int]]:
    """The edges that carry a gradient, (gate, position), from the last gate back, as two lists."""
    gates, positions = [], []
    for gate in range(len(partials) - 1, -1, -1):
        if partials[gate] is None:
            continue
        if varies[p.arg0[gate]]:
            gates.append(gate)
            positions.append(0)
        b = p.arg1[gate]
        if b >= 0 and varies[b]:
            gates.append(gate)
            positions.append(1)
    return gates, positions


def table(p: Program, values: list, grads: list, partials: list, out) -> None:
    """The 60 largest edges (by downstream gradient) and the 60 largest inputs' gradients, a line each."""
    gates, positions = ledger(p, partials, varying(p))
    local = list(map(getitem, map(partials.__getitem__, gates), positions))
    down = list(map(mul, map(grads.__getitem__, gates), local))
    for k in sorted(largest(list(map(abs, down)))):
        gate, pos = gates[k], positions[k]
        arg = (p.arg0, p.arg1)[pos][gate]
        out.write(f"{p.names[gate] or gate} {NAMES[p.ops[gate]]} {values[gate]!r} {grads[gate]!r} ")
        out.write(f"{p.names[arg] or arg} {local[k]!r} {down[k]!r}\n")
    inputs = [i for i in p.defined.values() if p.ops[i] == LEAF]
    for k in sorted(largest([abs(grads[i]) for i in inputs])):
        i = inputs[k]
        out.write(f"{p.names[i]} {values[i]!r} {grads[i]!r}\n")


def document(p: Program, text: str, values: list, grads: list, partials: list, out, compiled: bool = False) -> None:
    """The numbers of a run as one JSON document of columns, encoded in C: what eval's version 2
    document holds (the inputs' gradients; each node's name, op, arguments, value, gradient, line and
    column; each edge's gate, position, input, local and downstream gradient). `compiled`: written by
    orjson, numbers included, where it is installed (a prototype of the writing compiled)."""
    gates, positions = ledger(p, partials, varying(p))
    local = list(map(getitem, map(partials.__getitem__, gates), positions))
    lines = [0, *(m.end() for m in re.finditer("\n", text))]
    line = list(map(partial(bisect_right, lines), p.starts))
    col = [start - lines[k - 1] + 1 for start, k in zip(p.starts, line, strict=True)]
    args = [[] if a < 0 else [a] if b < 0 else [a, b] for a, b in zip(p.arg0, p.arg1, strict=True)]
    inputs = [i for i in p.defined.values() if p.ops[i] == LEAF]
    document = {
        "gradients": {p.names[i]: grads[i] for i in inputs},
        "nodes": {
            "name": p.names,
            "op": [
                NAMES.get(op) or ("const" if name is None else "input") for op, name in zip(p.ops, p.names, strict=True)
            ],
            "args": args,
            "value": values,
            "grad": grads,
            "line": line,
            "col": col,
        },
        "edges": {
            "gate": gates,
            "position": positions,
            "input": list(map(getitem, map((p.arg0, p.arg1).__getitem__, positions), gates)),
            "local": local,
            "downstream": list(map(mul, map(grads.__getitem__, gates), local)),
        },
    }
    if compiled:
        try:
            import orjson
        except ImportError:
            print("floor.py: orjson is not installed: the JSON is written by json", file=sys.stderr)
        else:
            out.flush()
            out.buffer.write(orjson.dumps(document))
            return
    out.write(json.dumps(document))


def section(plan) -> dict:
    """The floor beside ours and the goals it bears on: goal 1 (the MLP's --no-check process, table and
    JSON, against micrograd's) and goal 3 (the checked sum and chain, table, against 5 s). Whole
    processes taking turns; medians over rounds, ratios paired within a round."""
    import big
    import measure
    from sections import table

    here = os.path.abspath(__file__)
    cmd = measure.backprop_command()
    floor = [sys.executable, here]
    library = _libraries(os.path.join(plan.workdir, "floor-compiled.so"))
    compiled = [] if library is None else [*floor, "--compiled", library]  # its file comes first, as floor's
    figures: dict = {}
    mlp = plan.file("mlp", plan.largest)
    peer = [sys.executable, os.path.join(os.path.dirname(here), "peers.py"), "micrograd", "mlp", str(plan.largest)]
    print(
        f"The floor (bench/floor.py): a pure-Python program of the tool's shape in its cheapest known form, "
        f"beside ours, whole processes, interleaved, median of {plan.rounds}; and the floor with its parse, its "
        f"passes and its unchecked output compiled (bench/compiled_parse.c, compiled_passes.c, compiled_output.c), "
        f"the prototype of what meeting a goal the floor misses would take"
    )
    runs = {
        "micrograd": peer,
        "floor table": [*floor, mlp, "--no-check"],
        "floor json": [*floor, mlp, "--no-check", "--format", "json"],
        "ours table": [*cmd, "eval", "-f", mlp, "--no-check"],
        "ours json": [*cmd, "eval", "-f", mlp, "--no-check", "--format", "json"],
    }
    if compiled:
        with open(mlp, encoding="ascii") as handle:
            problem = writer_disagrees(handle.read(), library)
        if problem is not None:
            print(f"the compiled writer's output is not the floor's ({problem}): not timed")
            compiled = []
    if compiled:
        runs["compiled table"] = [*compiled, mlp, "--no-check"]
        runs["compiled json"] = [*compiled, mlp, "--no-check", "--format", "json"]
    samples = measure.interleaved(runs, plan.rounds)
    rows = []
    for fmt, goal in (("table", 0.3), ("json", 0.4)):
        floor_ratio = measure.paired_ratio(samples, f"floor {fmt}", "micrograd")
        ours_ratio = measure.paired_ratio(samples, f"ours {fmt}", "micrograd")
        compiled_ratio = measure.paired_ratio(samples, f"compiled {fmt}", "micrograd") if compiled else None
        figures[f"mlp {fmt}"] = {"floor": floor_ratio, "ours": ours_ratio, "goal": goal, "compiled": compiled_ratio}
        rows.append(
            [
                f"1: mlp/{plan.largest}, --no-check, {fmt}",
                f"{floor_ratio:.2f}x micrograd",
                f"{ours_ratio:.2f}x",
                f"<= {goal}x",
                _reach(floor_ratio <= goal),
                "no cc" if compiled_ratio is None else f"{compiled_ratio:.2f}x, {_met(compiled_ratio <= goal)}",
            ]
        )
    scale = 10 if plan.quick else 1
    sizes = {"sum": 1_000_000, "chain": 1_000_000}
    for name, size in sizes.items():
        path = os.path.join(plan.workdir, f"floor-{name}.bp")
        with open(path, "w", encoding="ascii") as handle:
            handle.write(big.PROGRAMS[name](size // scale))
        processes = {"floor": [*floor, path], "ours": [*cmd, "eval", "-f", path]}
        if compiled:
            processes["compiled"] = [*compiled, path]
        seconds = {k: measure.median(v) for k, v in measure.interleaved(processes, plan.rounds).items()}
        figures[name] = {**seconds, "stages": _stages(floor, path)}
        if compiled:
            figures[name]["compiled stages"] = _stages(compiled, path)
        rows.append(
            [
                f"3: {name}, checked, table",
                f"{seconds['floor']:.2f} s",
                f"{seconds['ours']:.2f} s",
                "<= 5 s",
                _reach(seconds["floor"] <= 5),
                f"{seconds['compiled']:.2f} s, {_met(seconds['compiled'] <= 5)}" if compiled else "no cc",
            ]
        )
    table(["goal: input", "the floor", "ours", "goal", "a pure-Python program", "the floor, compiled"], rows)
    print("where the floor's checked runs go (stages in its process, one run):")
    heads = list(figures["chain"]["stages"])
    kinds = ["stages"] + (["compiled stages"] if compiled else [])
    stages = [
        [
            f"{name}{', compiled' if kind != 'stages' else ''}",
            *(f"{figures[name][kind].get(k, 0):.2f} s" for k in heads),
        ]
        for name in sizes
        for kind in kinds
    ]
    table(["input", *heads], stages)
    return figures


def _libraries(path: str) -> str | None:
    """Build the compiled parser at `path`, and the compiled passes and writer beside it, once, before
    any process is timed (the floor loads them as they are); None without a C compiler."""
    import compiled
    import compiled_passes

    if compiled.build(keep=path) is None or compiled_passes.build(keep=path + ".passes") is None:
        return None
    if compiled.load(OUTPUT, keep=path + ".output") is None:
        return None
    return path


def _met(met: bool) -> str:
    return "meets it" if met else "misses it"


def _reach(met: bool) -> str:
    return "can meet it (the floor does)" if met else "cannot, as far as known (the floor misses it)"


def _stages(floor: list[str], path: str) -> dict[str, float]:
    """The floor's own stage times for one checked run of `path`, as it prints them with --stages."""
    import subprocess

    done = subprocess.run([*floor, path, "--stages"], capture_output=True, text=True, check=True)
    words = done.stderr.split()
    spent, name = {}, []
    for word in words:
        try:
            spent[" ".join(name)] = float(word)
            name = []
        except ValueError:
            name.append(word)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--stages", action="store_true", help="print each stage's seconds to stderr")
    parser.add_argument(
        "--compiled",
        metavar="LIBRARY",
        help="the prototype: read the text with the compiled parser and run the compiled passes on its "
        "columns; write an unchecked run's output with the compiled writer, a checked run's JSON with "
        "orjson (the libraries are built at LIBRARY, LIBRARY.passes and LIBRARY.output, or loaded from them)",
    )
    args = parser.parse_args()
    spent: dict[str, float] = {}
    last = time.perf_counter()

    def stage(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        spent[name] = now - last
        last = now

    with open(args.file, encoding="utf-8") as handle:
        text = handle.read()
    if args.compiled is None:
        p = parse(text)
        stage("parse")
        values = forward(p)
        grads, partials = backward(p, values)
    else:
        reader, n = read_compiled(text, args.compiled)
        if args.no_check:  # all three compiled: nothing per node in Python
            stage("parse")
            got = passes_compiled(reader, n, args.compiled)
            stage("forward + backward")
            output_compiled(args.format, reader, n, text, got, args.compiled, sys.stdout)
            stage(args.format)
            if args.stages:
                print(" ".join(f"{k} {v:.2f}" for k, v in spent.items()), file=sys.stderr)
            return
        p = program_of(reader, n, text)
        stage("parse")
        values, grads, partials = numbers_of(p, reader, n, passes_compiled(reader, n, args.compiled))
    stage("forward + backward")
    if not args.no_check:
        varies = varying(p)
        bad = local_checks(p, values, partials, varies)
        stage("local partials")
        again = totals(p, partials)
        bad += sum(varies) - sum(map(_close(1e-9), compress(again, varies), compress(grads, varies)))
        stage("totals")
        if bad:
            raise SystemExit(f"floor.py: {bad} checks disagree")
    if args.format == "json":
        document(p, text, values, grads, partials, sys.stdout, compiled=args.compiled is not None)
    else:
        table(p, values, grads, partials, sys.stdout)
    sys.stdout.flush()
    stage(args.format)
    if args.stages:
        print(" ".join(f"{k} {v:.2f}" for k, v in spent.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
