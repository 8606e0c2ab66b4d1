"""The output and check goals, measured as ratios in one run on a shared, noisy machine.

1. `eval -f mlp --no-check --format json` as a whole process at most 0.4x micrograd's process (which
   generates the same MLP in memory, builds it and runs backward); with the default table, 0.3x.
2. A checked run at most 2x the same run with --no-check, for table and JSON output, at 10^5 (the
   MLP) and at 10^6 (gen.py's chain of a million gates).

Whole processes take turns in every round; each ratio is taken within a round and the median over
rounds is reported, of wall time (the goal's measure) and, beside it, of CPU time (user + system of
the process): on a machine shared with other work, wall time stretches with the load and CPU time
much less, so the two together show whether a verdict is the program's or the machine's.

The stages of goal 1 are timed in this process, and beside them prototypes: the same columns
written by orjson (a compiled encoder, not a dependency of backprop), to show what writing the
numbers in compiled code would bring, and the compiled parse (bench/compiled_parse.c) and the
compiled passes on its columns (bench/compiled_passes.c), with what each process would take with
them.

    PYTHONPATH=. python bench/run.py --only output --only check-cost
"""

from __future__ import annotations

import os
import sys

import compiled
import compiled_passes
import gen
import measure
from sections import Plan, ms, table

from backpropcli.autodiff import backward, forward, ledger
from backpropcli.parse import parse

JSON_GOAL = 0.4  # whole process, JSON, at most this times micrograd's
TABLE_GOAL = 0.3  # the same with the default table
CHECK_GOAL = 2.0  # checked at most this times --no-check


def output_goal(plan: Plan) -> dict:
    n = plan.largest
    path = plan.file("mlp", n)
    cmd = measure.backprop_command()
    peer = [sys.executable, os.path.join(os.path.dirname(__file__), "peers.py"), "micrograd", "mlp", str(n)]
    print(
        f"Goal 1, MLP N = {n:,}: `backprop eval -f FILE --no-check` as a whole process (json and table) vs "
        f"micrograd's process (generate, build, backward), interleaved, median of {plan.rounds} paired ratios"
    )
    samples, cpu = measure.interleaved_usage(
        {
            "json": [*cmd, "eval", "-f", path, "--no-check", "--format", "json"],
            "table": [*cmd, "eval", "-f", path, "--no-check"],
            "micrograd": peer,
            "python -c pass": [sys.executable, "-c", "pass"],
        },
        plan.rounds,
    )
    ratios = {fmt: measure.paired_ratio(samples, fmt, "micrograd") for fmt in ("json", "table")}
    cpu_ratios = {fmt: measure.paired_ratio(cpu, fmt, "micrograd") for fmt in ("json", "table")}
    goals = {"json": JSON_GOAL, "table": TABLE_GOAL}
    table(
        ["output", "backprop", "micrograd", "backprop / micrograd", "goal", "CPU time ratio"],
        [
            [
                fmt,
                ms(measure.median(samples[fmt])),
                ms(measure.median(samples["micrograd"])),
                f"{ratios[fmt]:.2f}x",
                plan.goal(
                    1,
                    f"whole process, {fmt}, mlp/{n}",
                    f"{ratios[fmt]:.2f}x",
                    f"<= {goals[fmt]}x",
                    ratios[fmt] <= goals[fmt],
                ),
                f"{cpu_ratios[fmt]:.2f}x",
            ]
            for fmt in ("json", "table")
        ],
    )
    budget = JSON_GOAL * measure.median(samples["micrograd"])
    text = _text(path)
    stages = _stages(path, text, plan.rounds)
    print(
        f"\nWhere the JSON process goes (stages in this process, median of {plan.rounds}), "
        f"against the budget ({ms(budget)})"
    )
    start = samples["python -c pass"]
    rows = [["python -c pass", ms(measure.median(start)), _share(start, budget)]]
    rows += [[name, ms(t), f"{t / budget:.0%}"] for name, t in stages.items()]
    table(["stage", "time", "share of the budget"], rows)
    projected = None
    if "prototype: the same columns by orjson" in stages:
        saved = stages["JSON version 2, written (discarded)"] - stages["prototype: the same columns by orjson"]
        projected = measure.median(
            [(b - saved) / m for b, m in zip(samples["json"], samples["micrograd"], strict=True)]
        )
        print(f"prototype: the JSON process with its numbers written by orjson would be {projected:.2f}x micrograd")
    parsed = compiled.prototype({f"mlp/{n}": text}, plan.rounds).get(f"mlp/{n}")

    def without(seconds: float, what: str) -> dict[str, float]:
        """Both processes' ratios to micrograd with `seconds` taken off each, printed."""
        shown = {
            fmt: measure.median([(b - seconds) / m for b, m in zip(samples[fmt], samples["micrograd"], strict=True)])
            for fmt in ("json", "table")
        }
        both = ""
        if projected is not None:
            both = f" ({projected - seconds / measure.median(samples['micrograd']):.2f}x with orjson too)"
        print(
            f"prototype: with {what}, the table process would be {shown['table']:.2f}x "
            f"micrograd, and the JSON process {shown['json']:.2f}x{both}"
        )
        return shown

    with_parse = None
    if parsed is not None:  # both prototypes: the parse compiled too
        saved = parsed["ours"] - parsed["compiled"]
        with_parse = without(saved, "the parse compiled as well")
        c_passes = stages.get("prototype: the passes compiled, on those columns")
        if c_passes is not None:  # and the passes compiled on the compiled parse's columns
            saved += stages["forward + backward"] - c_passes
            with_both = without(saved, "the passes compiled too")
            with_parse.update({f"{fmt}, passes compiled too": ratio for fmt, ratio in with_both.items()})
    return {
        "n": n,
        "ratios": ratios,
        "cpu_ratios": cpu_ratios,
        "pass": {fmt: ratios[fmt] <= goals[fmt] for fmt in ratios},
        "stages": stages,
        "with_compiled_parse": with_parse,
        "projected_with_orjson": projected,
        **{k: measure.median(v) for k, v in samples.items()},
    }


def _text(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read()


def _share(samples: list[float], budget: float) -> str:
    return f"{measure.median(samples) / budget:.0%}"


def _stages(path: str, text: str, rounds: int) -> dict[str, float]:
    """Parsing, the passes and the JSON document of the file (its `text`), each timed alone; the floor
    of the JSON (repr of every float it holds, once) and the prototype (its columns by orjson)."""
    from backpropcli.pipeline import analyze
    from backpropcli.render.eval import Options
    from backpropcli.render.eval.json import render

    report = analyze(text, path=path, check=False)
    graph = report.graph

    def passes():
        values = forward(graph, {})
        return values, backward(graph, values)

    columns = _columns(report)
    floats = [v for column in columns.values() for v in column if type(v) is float]
    timings = {
        "parse": lambda: parse(text, path),
        "forward + backward": passes,
        "JSON version 2, written (discarded)": lambda: sum(map(len, render(report, Options()))),
        "  of which: repr of each float it holds": lambda: list(map(repr, floats)),
        "JSON version 1, written (discarded)": lambda: sum(map(len, render(report, Options(json_version=1)))),
    }
    try:
        import orjson
    except ImportError:
        print("(orjson is not installed: no prototype)")
    else:
        timings["prototype: the same columns by orjson"] = lambda: orjson.dumps(_columns(report))
    reader = compiled.parser()
    if reader is not None and compiled_passes.text_checked(reader, text) is None:
        count = reader.read(text)  # the compiled parser's columns, read once: the passes run on them
        timings["prototype: the passes compiled, on those columns"] = lambda: compiled_passes.on_parsed(reader, count)
    return {
        name: measure.median([measure.timed(fn, gc_off=True) for _ in range(rounds)]) for name, fn in timings.items()
    }


def _columns(report) -> dict[str, list]:
    """The numbers and ids of a version 2 document, as lists (what the prototype encodes)."""
    graph, back = report.graph, report.back
    rows = ledger(graph, back)
    local = [back.partials[g][p] for g, p in rows]
    return {
        "name": [node[2] for node in graph.nodes],
        "op": [node[0] for node in graph.nodes],
        "args": [node[1] for node in graph.nodes],
        "value": list(report.values),
        "grad": list(back.grads),
        "gate": [g for g, _ in rows],
        "position": [p for _, p in rows],
        "local": local,
        "downstream": [back.grads[g] * d for (g, _), d in zip(rows, local, strict=True)],
        "gradients": [back.grads[i] for i in graph.inputs],
    }


def check_cost(plan: Plan) -> dict:
    cases = [("mlp", plan.largest), ("chain", 100_000 if plan.quick else 1_000_000)]
    cmd = measure.backprop_command()
    print(
        f"Goal 2: checked / --no-check, whole processes, interleaved, median of {plan.rounds} paired ratios "
        f"(goal <= {CHECK_GOAL}x)"
    )
    rows, figures = [], {}
    for workload, n in cases:
        path = plan.file(workload, n)
        for fmt in ("table", "json"):
            base = [*cmd, "eval", "-f", path, "--format", fmt]
            samples, cpu = measure.interleaved_usage({"checked": base, "no-check": [*base, "--no-check"]}, plan.rounds)
            ratio = measure.paired_ratio(samples, "checked", "no-check")
            cpu_ratio = measure.paired_ratio(cpu, "checked", "no-check")
            key = f"{workload} {n} {fmt}"
            medians = {k: measure.median(v) for k, v in samples.items()}
            figures[key] = {"ratio": ratio, "cpu_ratio": cpu_ratio, "pass": ratio <= CHECK_GOAL, **medians}
            rows.append(
                [
                    f"{workload}, {gen.gates(gen.program(workload, n)):,} gates",
                    fmt,
                    ms(measure.median(samples["checked"])),
                    ms(measure.median(samples["no-check"])),
                    f"{ratio:.2f}x",
                    plan.goal(
                        2,
                        f"checked / unchecked, {fmt}, {workload}/{n}",
                        f"{ratio:.2f}x",
                        f"<= {CHECK_GOAL}x",
                        ratio <= CHECK_GOAL,
                    ),
                    f"{cpu_ratio:.2f}x",
                ]
            )
    table(["program", "output", "checked", "--no-check", "ratio", "goal", "CPU time ratio"], rows)
    return figures


SECTIONS = {"output": output_goal, "check-cost": check_cost}
