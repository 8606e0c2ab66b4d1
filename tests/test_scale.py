"""Large graphs: depth without recursion, checks that scale and still catch a wrong rule, lazy sympy,
many programs in one process, summaries instead of 10^5-row tables. No timings here: bench/ has those."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
from fractions import Fraction

import pytest

from backpropcli.autodiff import ledger
from backpropcli.ops import OPS
from backpropcli.pipeline import analyze
from backpropcli.render.eval.rows import chosen_nodes, chosen_rows

SMALL = ["(w+x*y)*z", "w=5", "x=3", "y=2", "z=4"]


def doubling_chain(depth: int) -> str:
    """x0 = 3, then *2 and /2 in turn: the value stays 3 and d out/d x0 is exactly 1 at any depth."""
    lines = ["x0 = 3"]
    for k in range(1, depth + 1):
        lines.append(f"x{k} = x{k - 1} * 2" if k % 2 else f"x{k} = x{k - 1} / 2")
    return "\n".join(lines) + "\n"


def tanh_chain(depth: int) -> str:
    """Beyond the symbolic cap (depth > 80): tanh and a shared weight, over and over."""
    lines = ["x0 = 0.5", "w = 0.9"]
    for k in range(1, depth + 1):
        lines.append(f"x{k} = tanh(x{k - 1})" if k % 2 else f"x{k} = x{k - 1} * w")
    return "\n".join(lines) + "\n"


def test_a_hundred_thousand_deep_chain_at_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    report = analyze(doubling_chain(100_000), check=False)
    assert sys.getrecursionlimit() == limit
    assert report.value == 3
    assert report.gradients == {"x0": 1}


def test_dual_numbers_agree_with_the_backward_pass_beyond_the_cap():
    report = analyze(tanh_chain(300))
    assert report.ok
    hows = {check.how for check in report.checks.nodes.values()}
    assert hows == {"chain", "dual"}
    assert any("beyond the symbolic cap" in note and "dual" in note for note in report.checks.notes)


def test_a_wrong_local_rule_is_caught_beyond_the_cap_and_says_by_what(monkeypatch):
    wrong = dataclasses.replace(OPS["tanh"], partials=lambda a, out: (1 - out,))  # should be 1 - out**2
    monkeypatch.setitem(OPS, "tanh", wrong)
    report = analyze(tanh_chain(300))
    assert not report.ok
    failed = {(check.how, check.status) for check in report.checks.nodes.values() if check.status == "fail"}
    assert failed == {("chain", "fail"), ("dual", "fail")}
    assert all(
        c.status == "fail" for (gate, _), c in report.checks.edges.items() if report.graph.nodes[gate].op == "tanh"
    )


def test_a_sympy_call_that_would_hang_stops_at_the_budget(monkeypatch):
    def slow_sin(sp, a):
        time.sleep(30)
        return sp.sin(a)

    monkeypatch.setitem(OPS, "sin", dataclasses.replace(OPS["sin"], sympy=slow_sin))
    start = time.monotonic()
    report = analyze("sin(x) * 2", {"x": 0.5}, budget=0.3)
    assert time.monotonic() - start < 10
    assert report.counts()[1] == 0 and report.counts()[2] > 0
    assert any("time budget" in note for note in report.checks.notes)


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_no_check_never_imports_sympy(fmt):
    argv = ["eval", *SMALL, "--no-check", "--format", fmt]
    script = (
        "import sys\n"
        "from backpropcli.cli import run\n"
        "try:\n"
        f"    run({argv!r})\n"
        "except SystemExit as exc:\n"
        "    print(exc.code, sorted(m for m in sys.modules if m.split('.')[0] == 'sympy'), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.stderr.strip() == "0 []"


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_click_and_nothing_of_the_pipeline(flag):
    script = (
        "import sys\n"
        "from backpropcli.cli import run\n"
        "try:\n"
        f"    run([{flag!r}])\n"
        "finally:\n"
        "    mine = sorted(m for m in sys.modules if m.startswith('backpropcli.'))\n"
        "    print(mine, 'rich' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert done.stderr.strip() == "['backpropcli.cli', 'backpropcli.status'] False"
    assert ("Commands:" if flag == "--help" else "version") in done.stdout


def test_every_listed_command_loads_under_its_own_name(cli):
    from backpropcli.cli import COMMANDS

    listing = " ".join(cli("--help").out.split())
    for name, (load, line) in COMMANDS.items():
        assert load().name == name
        assert f"{name} {line}" in listing
        assert cli(name, "--help").code == 0


def test_a_program_without_claims_does_not_load_the_claim_grader():
    script = (
        "import sys\n"
        "from backpropcli import analyze\n"
        "report = analyze('(w+x*y)*z', {'w': 5, 'x': 3, 'y': 2, 'z': 4})\n"
        "grader = {'backpropcli.claims.' + m for m in ('grade', 'derivation', 'joint', 'accumulate', 'result')}\n"
        "print(report.claims, [m for m in sys.modules if m in grader])\n"
        "report = analyze('x = 2; f = x * x; dfdx = 2 * x')\n"
        "print(len(report.claims), report.ok)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout.split("\n")[:2] == ["() []", "1 True"], done.stderr


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def programs(tmp_path):
    return {
        "good": write(tmp_path, "good.bp", "x = 2\nf = x * x\n"),
        "wrong": write(tmp_path, "wrong.bp", "x = 2\nf = x * x\ndfdx = 5\n"),
        "bad": write(tmp_path, "bad.bp", "f = x *\n"),
    }


@pytest.mark.parametrize(
    ("names", "status"),
    [
        (("good", "good"), 0),
        (("good", "wrong"), 1),
        (("wrong", "bad", "good"), 2),
        (("bad", "good"), 2),
    ],
)
def test_several_programs_the_worst_status_wins(cli, programs, names, status):
    paths = [programs[n] for n in names]
    result = cli("eval", "-f", paths[0], *paths[1:], "--format", "json")
    assert result.code == status
    documents = [json.loads(line) for line in result.out.splitlines()]
    assert [d["path"] for d in documents] == [p for n, p in zip(names, paths, strict=True) if n != "bad"]
    assert ("bad.bp:1:7" in result.err) == ("bad" in names)


def test_several_programs_in_a_table_get_a_heading_each(cli, programs):
    result = cli("eval", "-f", programs["good"], "-f", programs["wrong"], "--no-check")
    assert result.code == 1
    assert result.out.count("==> ") == 2 and programs["wrong"] in result.out


def test_a_large_graph_shows_a_summary_unless_rows_all(cli, tmp_path):
    path = write(tmp_path, "deep.bp", tanh_chain(400))
    summary = cli("eval", "-f", path, "--no-check", "--format", "markdown", "--rows", "10")
    rows = [line for line in summary.out.splitlines() if line.startswith("| `")]
    assert len(rows) == 20  # 10 ledger rows and 10 gradient rows
    assert "590 more rows not shown" in summary.out and "392 more rows not shown" in summary.out
    full = cli("eval", "-f", path, "--no-check", "--format", "markdown", "--rows", "all")
    assert "not shown" not in full.out


def test_the_summary_puts_failures_first(monkeypatch):
    wrong = dataclasses.replace(OPS["tanh"], partials=lambda a, out: (1 - out,))
    monkeypatch.setitem(OPS, "tanh", wrong)
    report = analyze(tanh_chain(300))
    shown, hidden = chosen_rows(report, ledger(report.graph, report.back), 5)
    assert hidden > 0 and all(report.checks.edges[edge].status == "fail" for edge in shown)
    named = [i for i, node in enumerate(report.graph.nodes) if node.name is not None]
    ids, hidden = chosen_nodes(report, named, 5)
    assert hidden > 0 and all(report.checks.nodes[i].status == "fail" for i in ids)


def test_a_run_leaves_no_cyclic_garbage():
    # analyze pauses the cyclic collector: anything in a cycle (a parser's tables of every name) would
    # stay in memory through the passes; only reference counting frees things in time
    import gc

    text = "x = 0.5\nw = 2\n" + "".join(f"v{i} = tanh(x * w + {i})\n" for i in range(200)) + "f = v199 * x\ndfdx = 1\n"
    gc.collect()
    gc.disable()
    try:
        report = analyze(text, check=False)
        assert report.graph.nodes
        del report
        assert gc.collect() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize("limit", [1, 4, 7, 12])
def test_the_summary_ranks_as_a_full_sort_would(monkeypatch, limit):
    # a program of exact sizes with ties (x appears with the same gradient in several places), one
    # wrong rule (sin's) and a kink (relu at 0); the rows chosen are those a full sort by (failed
    # first, kink next, larger size, earlier row) ranks first, back in their order
    wrong = dataclasses.replace(OPS["sin"], partials=lambda a, out: (2,))
    monkeypatch.setitem(OPS, "sin", wrong)
    text = (
        "x = 1/2\ny = 3\nz = 0\na = x*y + x*y + 2*x\nb = relu(z) * y + sin(z)\nc = a * 3 + b * x + y*y/4\nf = c + a*b\n"
    )
    report = analyze(text)
    rows = ledger(report.graph, report.back)
    records = report.checks.edges.records
    kinks = set(report.back.kinks)
    assert any(c.status == "fail" for c in records.values()) and kinks
    sizes = [abs(report.back.grads[g] * report.back.local(g, p)) for g, p in rows]
    order = sorted(
        range(len(rows)),
        key=lambda k: (
            not (rows[k] in records and records[rows[k]].status == "fail"),
            rows[k] not in kinks,
            -sizes[k],
            k,
        ),
    )
    assert len(set(sizes)) < len(sizes)  # ties are there to break
    shown, hidden = chosen_rows(report, rows, limit)
    assert shown == [rows[k] for k in sorted(order[:limit])] and hidden == len(rows) - limit
    named = [i for i, node in enumerate(report.graph.nodes) if node.name is not None]
    node_records = report.checks.nodes.records
    node_kinks = {i for i, c in node_records.items() if c.status == "kink"}
    by_node = sorted(
        range(len(named)),
        key=lambda k: (
            not (named[k] in node_records and node_records[named[k]].status == "fail"),
            named[k] not in node_kinks,
            -abs(report.back.grads[named[k]]),
            k,
        ),
    )
    if len(named) > limit:
        ids, hidden = chosen_nodes(report, named, limit)
        assert ids == [named[k] for k in sorted(by_node[:limit])] and hidden == len(named) - limit


def _brute_force_best(values: list, count: int) -> list[int]:
    """The oracle: a full sort by (larger size, earlier row), a nan below every number."""
    key = [(-v if v == v else math.inf, k) for k, v in enumerate(values)]
    return [k for _, k in sorted(key)[:count]]


@pytest.mark.parametrize(
    "shape",
    ["equal", "increasing", "decreasing", "few values", "random", "exact and float", "nans", "one large late"],
)
@pytest.mark.parametrize("count", [1, 60, 200])
def test_the_largest_rows_of_a_long_table_are_those_a_full_sort_finds(shape, count):
    import random

    from backpropcli.render.eval.rows import SAMPLE, _largest

    rng = random.Random(f"{shape}-{count}")
    n = 4 * SAMPLE + 1000  # long enough for the sampled bar
    values: list = {
        "equal": lambda: [1] * n,
        "increasing": lambda: [k * 0.5 for k in range(n)],
        "decreasing": lambda: [float(n - k) for k in range(n)],
        "few values": lambda: [rng.choice([0.25, 1.0, 3.0]) for _ in range(n)],
        "random": lambda: [rng.random() for _ in range(n)],
        "exact and float": lambda: [Fraction(rng.randrange(50), 7) if k % 2 else rng.random() * 7 for k in range(n)],
        "nans": lambda: [math.nan if k % 5 == 0 else rng.random() for k in range(n)],
        "one large late": lambda: [1.0] * (n - 1) + [2.0],
    }[shape]()
    found = _largest(n, count, lambda: iter(values), values.__getitem__)
    assert found == _brute_force_best(values, count)
