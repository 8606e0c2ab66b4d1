"""`backprop verify` beside the engines it checks: the same graph's forward + backward in micrograd (a
10^5-node MLP) and in the tests' microgpt-style engine (one microgpt step), then verify on it, as ratios.

    python bench/run.py --only verify

Goal: verify within 3x of the engine's own forward + backward on the same graph, in process
(backpropcli.verify(root)) and on the step's dump (`backprop verify FILE`'s work with its default
table, in process).
"""

from __future__ import annotations

import os
import random
import sys

import measure

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

GOAL = 3.0
GOAL_NUMBER = 6  # in the summary of goals


def _micrograd_mlp(quick: bool):
    """A micrograd MLP whose loss graph holds some 10^5 nodes (2 x 10^4 in quick runs)."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    random.seed(0)
    model = MLP(32, [64, 64, 1])
    rng = random.Random(1)
    xs = [[rng.uniform(-1, 1) for _ in range(32)] for _ in range(2 if quick else 8)]

    def step():
        loss = sum(((model(x) - 1.0) ** 2 for x in xs), Value(0.0))
        model.zero_grad()
        loss.backward()
        return loss

    return step


def _microgpt(quick: bool):
    from test_verify_microgpt import step

    def run():
        loss = step("em" if quick else "emma")
        loss.backward()
        return loss

    return run


def _judge_dump(path: str):
    """What `backprop verify FILE` does by default: read, judge, and the table (60 rows and the counts)."""
    from backpropcli.engines import verify_dump
    from backpropcli.render.verify.table import text

    def run():
        return len(text(verify_dump(path)))  # at 120 columns, as str(report)

    return run


def section(plan) -> dict:
    from sections import table

    import backpropcli

    sys.setrecursionlimit(10**6)  # micrograd's topological sort recurses once per level
    print("Verify: the engine's own forward + backward, then backpropcli.verify on the same graph")
    rows, figures = [], {}
    for name, make in (("micrograd MLP", _micrograd_mlp), ("microgpt step", _microgpt)):
        run = make(plan.quick)
        root = run()
        nodes = backpropcli.verify(root).size
        peers = {"verify": lambda root=root: measure.timed(lambda: backpropcli.verify(root), gc_off=True)}
        rows.append(_row(plan, f"{name}, in process", f"{name}, in process", nodes, run, peers, figures))
        if name == "microgpt step":  # the dump as `export` writes it: the columnar document (.json), and records
            for form, suffix in (("columnar document", "json"), ("JSON Lines", "jsonl")):
                path = os.path.join(plan.workdir, f"microgpt_step.{suffix}")
                backpropcli.export(root, path)
                peers = {"verify": lambda path=path: measure.timed(_judge_dump(path), gc_off=True)}
                what = f"microgpt step's dump as a {form}, read + judged + table"
                rows.append(_row(plan, f"  its dump, {form}", what, nodes, run, peers, figures))
                figures[what]["bytes"] = os.path.getsize(path)
    table(["graph", "nodes", "engine f+b", "verify", "ratio", "goal"], rows)
    return figures


def _row(plan, name: str, what: str, nodes: int, run, peers: dict, figures: dict) -> list:
    """The engine and verify on the same graph, paired round by round; the ratio against the goal."""
    samples = measure.rounds({"engine": lambda: measure.timed(run, gc_off=True), **peers}, plan.rounds)
    ratio = measure.paired_ratio(samples, "verify", "engine")
    met = ratio <= GOAL
    figures[what] = {"nodes": nodes, "ratio": ratio, "engine_s": measure.median(samples["engine"]), "pass": met}
    goal = plan.goal(GOAL_NUMBER, f"verify / engine, {what}", f"{ratio:.2f}x", f"<= {GOAL:g}x", met)
    return [name, nodes, _ms(samples["engine"]), _ms(samples["verify"]), f"{ratio:.2f}x", goal]


def _ms(samples: list[float]) -> str:
    return f"{measure.median(samples) * 1000:.0f} ms"
