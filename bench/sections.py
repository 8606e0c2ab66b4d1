"""What the bench measures, one function per section; each prints a table and returns its figures."""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys
from dataclasses import dataclass, field

import big
import gen
import measure
import peers
import tape

from backpropcli.autodiff import backward, forward
from backpropcli.parse import parse

SMALL_PROGRAM = ["(w+x*y)*z", "w=5", "x=3", "y=2", "z=4"]


@dataclass
class Plan:
    quick: bool
    rounds: int
    workdir: str
    files: dict = field(default_factory=dict)
    goals: list = field(default_factory=list)  # (goal, what, measured, target, met), for the summary

    def goal(self, number: int, what: str, measured: str, target: str, met: bool) -> str:
        self.goals.append((number, what, measured, target, met))
        return f"{'PASS' if met else 'MISS'} ({target})"

    @property
    def sizes(self) -> tuple[int, ...]:
        return (1000, 10_000) if self.quick else (1000, 10_000, 100_000)

    @property
    def largest(self) -> int:
        return self.sizes[-1]

    def file(self, workload: str, n: int) -> str:
        """The workload written as a .bp file once per run."""
        key = (workload, n)
        if key not in self.files:
            self.files[key] = os.path.join(self.workdir, f"{workload}_{n}.bp")
            gen.write(gen.program(workload, n), self.files[key])
        return self.files[key]


def table(head: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, ["-" * w for w in widths], *rows]:
        cells = [str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells))


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def summary(plan: Plan) -> None:
    """Every goal measured in this run, with its figure and PASS or MISS."""
    if not plan.goals:
        return
    print("Goals")
    table(
        ["goal", "what", "measured", "target", ""],
        [[str(n), what, measured, target, "PASS" if met else "MISS"] for n, what, measured, target, met in plan.goals],
    )
    met = sum(1 for g in plan.goals if g[4])
    print(f"{met} of {len(plan.goals)} met")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# ---- engine: build + forward + backward, in process -------------------------------------------


def ours_once(prog: list[tuple]) -> float:
    """Build through the parser's Builder, forward, backward: with the collector paused, as analyze() runs."""

    def run():
        graph = peers.build_ours(prog)
        values = forward(graph, {})
        return graph, values, backward(graph, values)

    return measure.timed(run, gc_off=True)


def micrograd_once(prog: list[tuple]):
    out, _ = peers.build_micrograd(prog)
    out.backward()
    return out


def passes_once(prog: list[tuple]) -> float:
    """Forward + backward alone, on a graph built beforehand (not timed)."""
    graph = peers.build_ours(prog)

    def run():
        values = forward(graph, {})
        return values, backward(graph, values)

    return measure.timed(run, gc_off=True)


def walk_once(prog: list[tuple]) -> float:
    return measure.timed(lambda: peers.walk(prog), gc_off=True)


def engine(plan: Plan) -> dict:
    print("Engine: build + forward + backward of the same op list (ours via the parser's Builder; micrograd Values)")
    rows, figures = [], {}
    for workload in gen.WORKLOADS:
        for n in plan.sizes:
            prog = gen.program(workload, n)
            agreement = _agreement(prog)
            samples = measure.rounds(
                {
                    "ours": lambda prog=prog: ours_once(prog),
                    "ours, passes only": lambda prog=prog: passes_once(prog),
                    "op-list walk": lambda prog=prog: walk_once(prog),
                    "micrograd": lambda prog=prog: measure.timed(lambda: micrograd_once(prog)),
                    "micrograd-gc-off": lambda prog=prog: measure.timed(lambda: micrograd_once(prog), gc_off=True),
                    "tape": lambda prog=prog: measure.timed(lambda: tape.run(prog), gc_off=True),
                    "tape, op rules": lambda prog=prog: measure.timed(lambda: tape.run_rules(prog), gc_off=True),
                    "tape, kept": lambda prog=prog: measure.timed(lambda: tape.run_kept(prog), gc_off=True),
                    "tape, kept, op rules": lambda prog=prog: measure.timed(
                        lambda: tape.run_kept_rules(prog), gc_off=True
                    ),
                },
                plan.rounds,
            )
            ratio = measure.paired_ratio(samples, "micrograd", "ours")
            ratio_off = measure.paired_ratio(samples, "micrograd-gc-off", "ours")
            ratio_passes = measure.paired_ratio(samples, "micrograd", "ours, passes only")
            # the best any build from this op list could do with our two passes as they are
            ceiling = measure.median(
                [
                    m / (w + p)
                    for m, w, p in zip(
                        samples["micrograd"], samples["op-list walk"], samples["ours, passes only"], strict=True
                    )
                ]
            )
            to_tape = measure.paired_ratio(samples, "ours", "tape")
            to_rules = measure.paired_ratio(samples, "ours", "tape, op rules")
            rules_to_tape = measure.paired_ratio(samples, "tape, op rules", "tape")
            tape_ratio = measure.paired_ratio(samples, "micrograd", "tape")
            kept_to_tape = measure.paired_ratio(samples, "tape, kept", "tape")
            kept_ratio = measure.paired_ratio(samples, "micrograd", "tape, kept")
            design_to_tape = measure.paired_ratio(samples, "tape, kept, op rules", "tape")
            design_ratio = measure.paired_ratio(samples, "micrograd", "tape, kept, op rules")
            to_design = measure.paired_ratio(samples, "ours", "tape, kept, op rules")
            goal = ""
            if n == plan.largest:
                where = f"{workload}/{n}"
                goal = plan.goal(4, f"engine vs micrograd, {where}", f"{ratio:.1f}x", ">= 8x", ratio >= 8)
                goal += ", " + plan.goal(
                    4, f"engine vs flat-list tape, {where}", f"{to_tape:.2f}x", "<= 1.5x", to_tape <= 1.5
                )
            figures[f"{workload}/{n}"] = {
                "gates": gen.gates(prog),
                "ratio": ratio,
                "ratio_gc_off": ratio_off,
                "ratio_passes_only": ratio_passes,
                "ceiling": ceiling,
                "ours_over_tape": to_tape,
                "ours_over_tape_with_rules": to_rules,
                "tape_with_rules_over_tape": rules_to_tape,
                "micrograd_over_tape": tape_ratio,
                "tape_kept_over_tape": kept_to_tape,
                "micrograd_over_tape_kept": kept_ratio,
                "tape_kept_rules_over_tape": design_to_tape,
                "micrograd_over_tape_kept_rules": design_ratio,
                "ours_over_tape_kept_rules": to_design,
                "max_rel_diff": agreement,
                **{k: measure.median(v) for k, v in samples.items()},
            }
            rows.append(
                [
                    f"{workload}/{n}",
                    f"{gen.gates(prog):,}",
                    ms(measure.median(samples["ours"])),
                    ms(measure.median(samples["micrograd"])),
                    f"{ratio:.1f}x",
                    f"{ratio_off:.1f}x",
                    ms(measure.median(samples["ours, passes only"])),
                    f"{ratio_passes:.1f}x",
                    f"{ceiling:.1f}x",
                    ms(measure.median(samples["tape"])),
                    f"{to_tape:.2f}x",
                    f"{rules_to_tape:.2f}x",
                    f"{to_rules:.2f}x",
                    f"{tape_ratio:.1f}x",
                    f"{kept_to_tape:.2f}x",
                    f"{kept_ratio:.1f}x",
                    f"{design_to_tape:.2f}x",
                    f"{design_ratio:.1f}x",
                    f"{to_design:.2f}x",
                    f"{agreement:.0e}",
                    goal,
                ]
            )
            gc.collect()
    table(
        [
            "workload/N",
            "gates",
            "ours",
            "micrograd",
            "ratio",
            "vs gc off",
            "fwd+bwd",
            "ratio",
            "ceiling",
            "tape",
            "ours/tape",
            "rules/tape",
            "ours/rules",
            "micrograd/tape",
            "kept/tape",
            "micrograd/kept",
            "design/tape",
            "micrograd/design",
            "ours/design",
            "grad diff",
            "goal",
        ],
        rows,
    )
    print(
        "ratio = micrograd / ours (build through the parser's Builder + forward + backward); vs gc off = the same "
        "with micrograd's cyclic collector off; fwd+bwd = our two passes alone, and micrograd / that; "
        "ceiling = micrograd / (the bench's bare walk over the op list, building nothing, + our two passes): "
        "the most any build from this list could reach with the passes as they are; tape = bench/tape.py, "
        "the flat-list yardstick (build, forward, backward; floats only, no checks): ours / tape; rules = the same "
        "tape calling the op table's forward and partials rules per gate (what one rule per op costs): rules / "
        "tape, and ours / rules, what our build and passes keep beyond it; micrograd / tape, the most any engine "
        "held to 1.5x of the tape could be asked to beat micrograd by; kept = the same tape keeping what the tool "
        "keeps (seven columns per node, every gate's partials): kept / tape, the least keeping them costs, and "
        "micrograd / kept, the most an engine that keeps them could beat micrograd by; design = the kept tape "
        "calling the op table's rules per gate (the tool's design: one row per op, the passes call its rules): "
        "design / tape and micrograd / design, the best an engine of that design could reach, before exact "
        "numbers, their guards, kinks and errors; ours / design, what ours costs beyond it"
    )
    import compiled_passes  # it reads this module's timings: imported here, not at the top

    print()
    figures["with the passes compiled"] = compiled_passes.prototype((plan.largest,), plan.rounds)
    return figures


def _agreement(prog: list[tuple]) -> float:
    """Largest relative difference between our input gradients and micrograd's."""
    _, ours = peers.run_ours(prog)
    _, theirs = peers.run_micrograd(prog)
    return max(
        abs(ours[k] - theirs[k]) / max(1e-300, abs(theirs[k]), abs(ours[k])) if ours[k] != theirs[k] else 0.0
        for k in ours
    )


# ---- parsing and memory ------------------------------------------------------------------------


def parsing(plan: Plan) -> dict:
    print(f"Parsing: the .bp file at N = {plan.largest:,}, per statement line (median of {plan.rounds})")
    rows, figures = [], {}
    for workload in gen.WORKLOADS:
        with open(plan.file(workload, plan.largest), encoding="ascii") as handle:
            text = handle.read()
        lines = text.count("\n")
        best = measure.median([measure.timed(lambda text=text: parse(text), gc_off=True) for _ in range(plan.rounds)])
        per_line = best / lines * 1e6
        figures[workload] = {"lines": lines, "seconds": best, "us_per_line": per_line}
        rows.append([workload, f"{lines:,}", ms(best), f"{per_line:.2f} us", f"{verdict(per_line <= 4)} (<= 4 us)"])
    table(["workload", "lines", "parse", "per line", "goal"], rows)
    return figures


def memory(plan: Plan) -> dict:
    n = plan.largest
    print(f"Memory: tracemalloc peak growth during build + forward + backward at N = {n:,}, per graph node")
    rows, figures = [], {}
    for workload in gen.WORKLOADS:
        prog = gen.program(workload, n)
        nodes = len(peers.build_ours(prog).nodes)
        with open(plan.file(workload, n), encoding="ascii") as handle:
            text = handle.read()
        ours = measure.peak_growth(lambda prog=prog: peers.run_ours(prog)) / nodes
        parsed = measure.peak_growth(lambda text=text: _parse_and_run(text)) / nodes
        theirs = measure.peak_growth(lambda prog=prog: peers.run_micrograd(prog)) / nodes
        figures[workload] = {"nodes": nodes, "ours": ours, "ours_from_text": parsed, "micrograd": theirs}
        rows.append(
            [
                workload,
                f"{nodes:,}",
                f"{ours:.0f} B",
                f"{parsed:.0f} B",
                f"{theirs:.0f} B",
                f"{verdict(ours <= 300)} (<= 300 B)",
            ]
        )
    table(["workload", "nodes", "ours", "ours, parsing the text", "micrograd", "goal"], rows)
    return figures


def _parse_and_run(text: str):
    graph = parse(text)
    return graph, backward(graph, forward(graph, {}))


# ---- whole processes ----------------------------------------------------------------------------


def deep(plan: Plan) -> dict:
    n = 100_000 if plan.quick else 1_000_000
    path = plan.file("chain", n)
    print(f"Depth: a {n:,}-deep chain through analyze() in a fresh process at the default recursion limit")
    script = (
        "import sys, time; from backpropcli import analyze; t = time.perf_counter(); "
        f"r = analyze(open({path!r}).read(), check=False); "
        "print(sys.getrecursionlimit(), r.gradients['w'], time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    ok = done.returncode == 0
    limit, grad, seconds = done.stdout.split() if ok else ("?", "nan", "nan")
    ok = ok and math.isfinite(float(grad))
    table(
        ["chain depth", "recursion limit", "dfinal/dw", "parse + forward + backward", "goal"],
        [[f"{n:,}", limit, grad, ms(float(seconds)), verdict(ok) + ("" if ok else done.stderr[-300:])]],
    )
    return {"depth": n, "ok": ok, "seconds": float(seconds)}


def large(plan: Plan) -> dict:
    """The four large legal inputs, checked, default table output; and a program with a 500,000-character name."""
    scale = 10 if plan.quick else 1
    sizes = {"sum": 1_000_000, "minus": 1_000_000, "balanced": 262_144, "chain": 1_000_000}
    print(
        f"Large inputs{' at a tenth of their size (quick)' if plan.quick else ''}: `backprop eval -f FILE` "
        "(checked, table), whole process: wall time and peak memory (RSS), and that memory per graph node "
        "above a small checked run's"
    )
    cmd = measure.backprop_command()
    small = min(measure.process_peak([*cmd, "eval", *SMALL_PROGRAM])[1] for _ in range(3))
    bare_small = min(measure.process_peak([*cmd, "eval", *SMALL_PROGRAM, "--no-check"])[1] for _ in range(3))
    rows, figures, texts = [], {}, {}
    for name, size in sizes.items():
        path = os.path.join(plan.workdir, f"{name}.bp")
        text = texts[name] = big.PROGRAMS[name](size // scale)
        with open(path, "w", encoding="ascii") as handle:
            handle.write(text)
        nodes = len(parse(text).columns)
        seconds, peak = measure.process_peak([*cmd, "eval", "-f", path])
        bare_seconds, bare_peak = measure.process_peak([*cmd, "eval", "-f", path, "--no-check"])
        per_node = (peak - small) / nodes
        bare_per_node = (bare_peak - bare_small) / nodes
        figures[name] = {
            "tokens": big.tokens(text),
            "nodes": nodes,
            "seconds": seconds,
            "peak": peak,
            "no_check_seconds": bare_seconds,
            "no_check_peak": bare_peak,
        }
        label = f"{name}, {big.tokens(text):,} tokens"
        rows.append(
            [
                label,
                f"{nodes:,}",
                f"{seconds:.2f} s",
                f"{peak / 2**20:,.0f} MiB",
                f"{per_node:.0f} B",
                f"{bare_seconds:.2f} s",
                f"{bare_per_node:.0f} B",
                plan.goal(3, f"{label}: time", f"{seconds:.2f} s", "<= 5 s", seconds <= 5)
                + ", "
                + plan.goal(3, f"{label}: memory", f"{peak / 2**20:,.0f} MiB", "<= 1 GiB", peak <= 2**30)
                + ", "
                + plan.goal(5, f"{label}: peak per node", f"{per_node:.0f} B", "<= 300 B", per_node <= 300),
            ]
        )
    path = os.path.join(plan.workdir, "longname.bp")
    with open(path, "w", encoding="ascii") as handle:
        handle.write(big.long_name())
    seconds, peak = measure.process_peak([*cmd, "eval", "-f", path])
    figures["longname"] = {"seconds": seconds, "peak": peak}
    rows.append(
        [
            "one 500,000-character name",
            "4",
            f"{seconds:.2f} s",
            f"{peak / 2**20:,.0f} MiB",
            "",
            "",
            "",
            plan.goal(3, "a 500,000-character name: time", f"{seconds:.2f} s", "<= 1 s", seconds <= 1),
        ]
    )
    table(["input", "nodes", "wall", "peak RSS", "per node", "--no-check", "per node", "goals"], rows)
    print("per node: peak RSS above a small run's (checked, and --no-check), over the graph's nodes")
    print("\nWhere a checked run of each goes: the stages of one run in this process (sympy imported before)")
    profile = []
    for name, text in texts.items():
        spent = _stages(text, os.path.join(plan.workdir, f"{name}.bp"))
        figures[name]["stages"] = spent
        profile.append([name, *(f"{spent[stage]:.2f} s" for stage in STAGES), f"{sum(spent.values()):.2f} s"])
    table(["input", *STAGES.values(), "in all"], profile)
    _compiled_parse(plan, texts, figures)
    return figures


def _compiled_parse(plan: Plan, texts: dict[str, str], figures: dict) -> None:
    """The prototype of a compiled parse on the same texts, and what each checked run would take with it."""
    import compiled

    print()
    parsed = compiled.prototype(texts, plan.rounds)
    if not parsed:
        return
    rows = []
    for name, times in parsed.items():
        seconds = figures[name]["seconds"]
        projected = seconds - float(times["ours"]) + float(times["compiled"])
        figures[name]["with_compiled_parse"] = projected
        met = "met" if projected <= 5 else "still over"
        rows.append([name, f"{seconds:.2f} s", f"{projected:.2f} s", f"{met} (<= 5 s)"])
    table(["input", "checked, table", "with the parse compiled", "goal 3's time"], rows)


# the progress callback's stages, as the profile names them
STAGES = {
    "parsing": "parse",
    "forward and backward": "forward + backward",
    "cross-check: loading sympy": "cross-check set-up",
    "cross-check: local partials": "local partials + chain totals",
    "cross-check: dual numbers": "dual numbers",
    "floats at 700 digits": "floats' second look",
    "table": "table (80 columns)",
}


def _stages(text: str, path: str) -> dict[str, float]:
    """Seconds per stage of one checked run of `text` (read from `path`) and its table, timed at the
    progress callback's calls."""
    import time

    import sympy  # noqa: F401  (a whole process imports it at start-up)

    from backpropcli.pipeline import analyze

    spent = dict.fromkeys(STAGES, 0.0)
    last = ["parsing", time.perf_counter()]

    def progress(stage: str, done: int = 0, total: int = 0) -> None:
        now = time.perf_counter()
        spent[last[0]] = spent.get(last[0], 0.0) + now - last[1]
        last[:] = [stage, now]

    report = analyze(text, path=path, progress=progress)
    progress("table")
    report.table(width=80)
    progress("table")
    return spent


def startup(plan: Plan) -> dict:
    cmd, py = measure.backprop_command(), sys.executable
    runs = max(plan.rounds, 5 if plan.quick else 11)
    print(f"Start-up: whole processes, interleaved, median of {runs}")
    samples = measure.interleaved(
        {
            "import click": [py, "-c", "import click"],
            "backprop --version": [*cmd, "--version"],
            "backprop --help": [*cmd, "--help"],
            "import sympy": [py, "-c", "import sympy"],
            "sympy, first sum": [py, "-c", "import sympy; sympy.Symbol('x') + 1"],
            "eval --no-check": [*cmd, "eval", *SMALL_PROGRAM, "--no-check"],
            "eval (checked)": [*cmd, "eval", *SMALL_PROGRAM],
        },
        runs,
    )
    med = {k: measure.median(v) for k, v in samples.items()}
    version = measure.paired_ratio(samples, "backprop --version", "import click")
    helped = measure.paired_ratio(samples, "backprop --help", "import click")
    extra = measure.median([c - s for c, s in zip(samples["eval (checked)"], samples["import sympy"], strict=True)])
    # sympy's first arithmetic loads more of sympy (its tensor and combinatorics modules): a cost of
    # sympy's own that every checked run pays, shown apart from what backprop itself adds
    ready = measure.median([c - s for c, s in zip(samples["eval (checked)"], samples["sympy, first sum"], strict=True)])
    sympy_loaded = _imports_sympy(["eval", *SMALL_PROGRAM, "--no-check"])
    table(
        ["command", "median", "compared with", "goal"],
        [
            ["python -c 'import click'", ms(med["import click"]), "", ""],
            ["backprop --version", ms(med["backprop --version"]), f"{version:.2f}x click", verdict(version <= 1.3)],
            ["backprop --help", ms(med["backprop --help"]), f"{helped:.2f}x click", verdict(helped <= 1.3)],
            ["python -c 'import sympy'", ms(med["import sympy"]), "", ""],
            [
                "eval, small, --no-check",
                ms(med["eval --no-check"]),
                f"sympy imported: {sympy_loaded}",
                verdict(not sympy_loaded),
            ],
            ["python -c 'import sympy; x + 1'", ms(med["sympy, first sum"]), "", ""],
            ["eval, small, checked", ms(med["eval (checked)"]), f"sympy + {ms(extra)}", verdict(extra <= 0.2)],
            ["", "", f"first sum + {ms(ready)}", ""],
        ],
    )
    return {
        "medians": med,
        "version_ratio": version,
        "help_ratio": helped,
        "checked_minus_sympy": extra,
        "checked_minus_sympy_first_sum": ready,
        "sympy_imported_without_check": sympy_loaded,
    }


def _imports_sympy(args: list[str]) -> bool:
    """Whether `backprop ARGS` imports sympy at all, from CPython's own import log (-X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "backpropcli", *args], capture_output=True, text=True, check=False
    )
    return any(line.rstrip().endswith(" sympy") for line in done.stderr.splitlines())


SECTIONS = {
    "engine": engine,
    "parse": parsing,
    "memory": memory,
    "deep": deep,
    "large": large,
    "startup": startup,
}
NAMES = tuple(SECTIONS)
