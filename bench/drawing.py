"""Pictures of real-size graphs: how long `backprop graph --format svg`, Graphviz on the `--format dot`
text alone, and `backprop explain --format html` take on chains and MLPs of 100, 300 and 1,000 gates,
a 200-step recurrence whose weight 200 gates share, and a 30-term sum. Whole processes, wall time.

    python bench/drawing.py            # the table, and the largest graph drawn as svg in under 5 s
    python bench/run.py --only drawing

The 5 s is a reader's patience, not a ratio to a peer: it is printed as met or missed, never asserted.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import gen
import measure

sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout, not an install
sys.path.insert(2, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from test_html_large_graphs import recurrence, sum_of_terms  # the same programs the tests draw

PATIENCE = 5.0  # seconds a teacher waits for a picture
SIZES = (100, 300, 1000)


def mlp(n: int) -> list[tuple]:
    """gen's unrolled d-W-W-1 tanh MLP with the shape whose gate count is closest to n."""
    shapes = [(d, w) for d in range(1, 17) for w in range(1, 65)]
    d, width = min(shapes, key=lambda s: (abs(gen._mlp_ops(*s) - n), s))
    rng = random.Random(2)
    prog: list[tuple] = [(f"x{i}", gen._decimal(rng)) for i in range(d)]
    layer = [f"x{i}" for i in range(d)]
    for name, size, squash in (("h", width, True), ("g", width, True), ("o", 1, False)):
        layer = [gen._neuron(prog, rng, f"{name}{j}", layer, squash) for j in range(size)]
    return [*prog, ("target", 0.5), ("err", "sub", layer[0], "target"), ("loss", "pow", "err", 2)]


def workloads(folder: str) -> list[tuple[str, int, str]]:
    """(name, gates, path) for every graph measured, written once."""
    found = []
    for name, prog in [*((f"chain {n}", gen.chain(n)) for n in SIZES), *((f"mlp ~{n}", mlp(n)) for n in SIZES)]:
        path = os.path.join(folder, name.replace(" ", "_").replace("~", "") + ".bp")
        gen.write(prog, path)
        found.append((name, gen.gates(prog), path))
    for name, gates, text in (("recurrence 200", 400, recurrence(200)), ("sum of 30 terms", 59, sum_of_terms(30))):
        path = os.path.join(folder, name.replace(" ", "_") + ".bp")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        found.append((name, gates, path))
    return found


def _dot_alone(source: str) -> float:
    """Graphviz's own time on the DOT text the tool writes."""
    with open(source, "rb") as handle:
        text = handle.read()
    start = time.perf_counter()
    subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, timeout=120, check=True)
    return time.perf_counter() - start


def measure_all(rounds: int, folder: str) -> list[dict]:
    command = measure.backprop_command()
    rows = []
    for name, gates, path in workloads(folder):
        svg, dot, html = (os.path.join(folder, "out." + ext) for ext in ("svg", "dot", "html"))
        measure.process_time([*command, "graph", "-f", path, "--format", "dot", "-o", dot])
        times: dict[str, list[float]] = {"svg": [], "dot alone": [], "html": []}
        for _ in range(rounds):
            times["svg"].append(measure.process_time([*command, "graph", "-f", path, "--format", "svg", "-o", svg]))
            times["dot alone"].append(_dot_alone(dot))
            explain = [*command, "explain", "-f", path, "--format", "html", "-o", html]
            times["html"].append(measure.process_time(explain))
        rows.append({"graph": name, "gates": gates, **{k: measure.median(v) for k, v in times.items()}})
    return rows


def section(plan) -> dict:
    """The bench section: the table, and the largest graph whose svg took under PATIENCE seconds."""
    if shutil.which("dot") is None:
        print("Drawing: skipped, Graphviz's dot is not installed")
        return {"skipped": "Graphviz's dot is not installed"}
    rounds = min(plan.rounds, 3)
    print(f"Drawing: whole processes, wall time, median of {rounds}; goal: svg within {PATIENCE:.0f} s")
    rows = measure_all(rounds, plan.workdir)
    head = ["graph", "gates", "graph --format svg", "dot -Tsvg alone", "explain --format html", "svg goal"]
    lines = [
        [r["graph"], str(r["gates"]), f"{r['svg']:.2f} s", f"{r['dot alone']:.2f} s", f"{r['html']:.2f} s",
         "met" if r["svg"] < PATIENCE else "MISSED"]
        for r in rows
    ]  # fmt: skip
    width = [max(len(x[i]) for x in [head, *lines]) for i in range(len(head))]
    for line in [head, ["-" * w for w in width], *lines]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, width, strict=True)).rstrip())
    drawn = [r for r in rows if r["svg"] < PATIENCE]
    largest = max(drawn, key=lambda r: r["gates"]) if drawn else None
    if largest:
        print(f"largest graph drawn as svg in under {PATIENCE:.0f} s: {largest['graph']} ({largest['gates']} gates)")
    return {"rows": rows, "largest": largest["gates"] if largest else 0}


def main() -> None:
    class Plan:
        rounds = 3
        workdir = tempfile.mkdtemp(prefix="backprop-drawing-")

    section(Plan())


if __name__ == "__main__":
    main()
