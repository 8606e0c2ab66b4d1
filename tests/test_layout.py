"""Tables at the terminal's width: nothing broken, nothing padded, everything shown or counted.

Golden files pin eval, check and graph tree at 60, 80 and 120 columns; the other tests state the
rules every width keeps, with the wide (400-column) output as the oracle for what a word is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden" / "width"
WIDTHS = (60, 80, 120)
MARK = re.compile(r"\S*(\u2026|\.\.\.)\[\d+\]\S*")  # a long name shortened, given whole in a footnote

COMMANDS = {
    "eval_lecture27": ("eval", "-f", "samples/lecture27.bp"),
    "eval_sigmoid_neuron": ("eval", "-f", "samples/sigmoid_neuron.bp"),
    "eval_lecture27_slip": ("eval", "-f", "samples/lecture27_slip.bp"),
    "check_lecture27_slip": ("check", "samples/lecture27_slip.bp", "samples/wrong_backward.bp"),
    "graph_sigmoid_neuron": ("graph", "-f", "samples/sigmoid_neuron.bp"),
}

LONG_NAME = "a_rather_long_input_name_for_a_claim"
BIG = (
    f"{LONG_NAME} = 3\ny = 4\nf = {LONG_NAME} * y * 123456789012345\n"
    f"dfd{LONG_NAME} = 1234567890123456789/7\ndfdy = 370370370370370100\n"
)


def at_width(cli, monkeypatch, width: int, *args: str, stdin: str = ""):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", str(width))
    return cli(*args, stdin=stdin)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_output_at_each_width_matches_golden(cli, monkeypatch, matches_golden, name, width):
    result = at_width(cli, monkeypatch, width, *COMMANDS[name])
    assert result.code in (0, 1), result
    GOLDEN.mkdir(exist_ok=True)
    matches_golden(GOLDEN / f"{name}.{width}.txt", result.out)


def words(text: str) -> set[str]:
    """Every word but a table's rule, which is as wide as its table."""
    return {word for word in text.split() if set(word) != {"─"}}


def body_lines(out: str) -> list[str]:
    """Every line but a footnote's, which gives a long name whole however wide it is."""
    return [line for line in out.splitlines() if not re.match(r"\[\d+\] ", line)]


CASES = [*COMMANDS.values(), ("eval", "-f", "{big}"), ("check", "{big}", "samples/lecture27_slip.bp")]


@pytest.mark.parametrize("width", [60, 70, 80, 100])
@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a))
def test_no_number_name_or_word_is_broken_and_no_line_is_padded(cli, monkeypatch, tmp_path, args, width):
    big = tmp_path / "big.bp"
    big.write_text(BIG, encoding="utf-8")
    shown = args
    args = tuple(a.format(big=big) for a in args)
    wide = at_width(cli, monkeypatch, 400, *args)
    narrow = at_width(cli, monkeypatch, width, *args)
    assert narrow.code == wide.code, narrow
    for line in narrow.out.splitlines():
        assert line == line.rstrip(), f"trailing blanks: {line!r}"
    if "{big}" not in " ".join(shown):  # its 16-digit numbers need more than 60 columns: lines grow instead
        for line in body_lines(narrow.out):
            assert len(line) <= width, line
    broken = {w for w in words(narrow.out) - words(wide.out) if not MARK.fullmatch(w)}
    assert not broken, broken  # a fragment of a number or word would be a word the wide output lacks


def table_body(out: str, header: str) -> list[str]:
    """The lines of the table whose heading line starts with `header`, between its rule and the
    first line that is not a row (a legend, a title, a blank line)."""
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(header)) + 2
    assert set(lines[start - 1]) == {"─"}
    end = start
    while end < len(lines) and lines[end] and not lines[end].startswith(("upstream =", "sympy's", "checks:")):
        end += 1
    return lines[start:end]


@pytest.mark.parametrize("sample", ["lecture27.bp", "sigmoid_neuron.bp"])
def test_at_80_columns_the_samples_fold_no_cell(cli, monkeypatch, sample):
    """One line per row: as many ledger lines as edges the pass used, as many gradient lines as
    named nodes (counted from the report, not from the table)."""
    from backpropcli.autodiff import ledger
    from backpropcli.pipeline import analyze

    report = analyze((ROOT / "samples" / sample).read_text(encoding="utf-8"))
    out = at_width(cli, monkeypatch, 80, "eval", "-f", f"samples/{sample}").out
    assert len(table_body(out, "gate  op")) == len(ledger(report.graph, report.back))
    assert len(table_body(out, "name  kind")) == len(report.graph.ids)


def test_a_skipped_check_shows_its_reason_in_the_table(cli, monkeypatch):
    out = at_width(cli, monkeypatch, 120, "eval", "x**y", "x=0", "y=2").out
    assert "skipped: sympy's derivative is undefined at this point" in out
    assert out.splitlines()[-1] == "checks: 3 passed, 0 failed, 2 skipped"


def test_markdown_carries_a_long_formula_whole(cli, monkeypatch):
    import sympy

    terms = " + ".join(f"w{k}*x{k}" for k in range(6))
    bindings = [f"{p}{k}={k + 1}" for k in range(6) for p in "wx"]
    out = at_width(cli, monkeypatch, 80, "eval", f"sigmoid({terms})", *bindings, "--format", "markdown").out
    w0, *_ = symbols = sympy.symbols(" ".join(f"w{k} x{k}" for k in range(6)))
    z = sum(symbols[2 * k] * symbols[2 * k + 1] for k in range(6))
    formula = str(sympy.diff(1 / (1 + sympy.exp(-z)), w0))
    assert len(formula) > 80
    assert f"`{formula}`" in out
    assert "..." not in out


def test_a_long_formula_goes_below_the_table_whole(cli, monkeypatch):
    out = at_width(cli, monkeypatch, 80, "eval", "-f", "samples/sigmoid_neuron.bp").out
    below = out.split("sympy's ∂f/∂name, as a formula:\n")[1]
    assert "  ∂f/∂w0  = x0*exp(-w0*x0 - w1*x1 - w2)/(exp(-w0*x0 - w1*x1 - w2) + 1)**2\n" in below


@pytest.mark.parametrize("command", ["eval", "graph"])
def test_a_half_million_character_name_is_given_once(cli, monkeypatch, tmp_path, command):
    name = "v" * 500_000
    program = tmp_path / "long.bp"
    program.write_text(f"{name} = 3\nf = {name} * {name} + 1\n", encoding="utf-8")
    result = at_width(cli, monkeypatch, 80, command, "-f", str(program))
    assert result.code == 0, result
    assert result.out.count(name) == 1
    assert len(result.out.splitlines()) < 30
    assert re.search(r"^\[\d+\] v{500000}$", result.out, re.M)


def test_rows_are_built_only_for_what_is_shown(cli, monkeypatch):
    """--rows 5 of a 3000-gate chain: five ledger rows, the rest counted; numbers are formatted for
    the shown rows only (counted by wrapping the formatter the table uses)."""
    from backpropcli.render.eval import table as eval_table

    calls = []
    real = eval_table.number
    monkeypatch.setattr(eval_table, "number", lambda *a: calls.append(a) or real(*a))
    program = "x = 2\n" + "".join(f"v{k} = {'x' if k == 0 else f'v{k - 1}'} * 1.0001\n" for k in range(3000))
    result = at_width(cli, monkeypatch, 80, "eval", "-", "--rows", "5", "--no-check", stdin=program)
    assert result.code == 0, result
    assert len(table_body(result.out, "gate  op")) == 5
    assert "2995 more rows not shown (--rows all shows them)" in result.out
    assert len(calls) < 60


def test_an_ascii_stream_gets_the_same_layout_in_ascii(tmp_path):
    import os
    import subprocess
    import sys

    big = tmp_path / "big.bp"
    big.write_text(BIG, encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    run = [sys.executable, "-m", "backpropcli", "eval", "-f", str(big)]
    out = subprocess.run(run, capture_output=True, env=env, cwd=ROOT).stdout.decode("ascii")
    assert "|" not in out  # rules, not a grid
    assert re.search(r"^-{20,}$", out, re.M)
    assert re.search(r"^\[\d+\] a_rather_long_input_name_for_a_claim$", out, re.M)
    assert re.search(r"\S+\.\.\.\[\d+\]", out)


@pytest.mark.parametrize("command", [("check",), ("eval", "-f")])
def test_a_reason_quoting_a_long_name_uses_its_mark(cli, monkeypatch, tmp_path, command):
    name = "v" * 100_000
    program = tmp_path / "claim.bp"
    program.write_text(f"{name} = 3\nf = {name} * 2\ndfd{name} = 3\n", encoding="utf-8")
    result = at_width(cli, monkeypatch, 80, *command, str(program))
    assert result.code == 1, result
    assert result.out.count(name) == 2  # given whole once as a name, once inside the claim's name
    assert re.search(rf"^\[\d+\] {name}$", result.out, re.M)
    assert re.search(rf"^\[\d+\] dfd{name}$", result.out, re.M)


def test_markdown_carries_a_long_sum_over_edges_whole(cli, monkeypatch):
    """x feeds 12 edges: the Markdown gives all twelve shares; the terminal table shows 8 and '...'."""
    program = " + ".join(["x*x"] * 6)
    markdown = at_width(cli, monkeypatch, 80, "eval", program, "x=1", "--format", "markdown").out
    assert "| `x` | 1 | 12 | " + " + ".join(["1"] * 12) + " = 12 |" in markdown
    assert "..." not in markdown
    table = at_width(cli, monkeypatch, 120, "eval", program, "x=1").out
    assert " + ".join(["1"] * 8) + " + ... = 12" in table


@pytest.mark.parametrize("command", [("check",), ("eval", "-f")])
def test_an_exact_number_too_long_for_a_cell_is_marked_and_given_whole_once(cli, monkeypatch, tmp_path, command):
    # relu at 0 times 2**2000: df/dx may be any value in [0, 2**2000], a number of 603 digits (by hand)
    whole, claim = str(2**2000), str(2**2000 + 1)
    assert len(whole) == 603
    program = tmp_path / "big.bp"
    program.write_text("x = 0; z = 2**2000\nr = relu(x)\nf = r * z\ndfdx = 2**2000 + 1\n", encoding="utf-8")
    result = at_width(cli, monkeypatch, 80, *command, str(program))
    assert result.code == 1, result  # 2**2000 + 1 is past the interval's end, exactly
    lines = result.out.splitlines()
    notes = {line.split()[1] for line in lines if re.fullmatch(r"\[\d+\] \d+", line)}
    assert claim in notes and notes <= {whole, claim}  # each given whole, once (check shows no interval here)
    rest = [line for line in lines if not re.fullmatch(r"\[\d+\] \d+", line)]
    assert not [line for line in rest if re.search(r"\d{21}", line)]  # elsewhere no more than 20 digits in a row
    assert re.search(r"\b11481306952742\d*\u2026\[\d+\]", result.out)  # the cells show its first digits and its mark


def test_an_exact_number_of_twenty_digits_and_a_long_float_are_shown_whole(cli, monkeypatch):
    # 20! = 2432902008176640000 (19 digits) and 2**64 = 18446744073709551616 (20 digits) fit a cell; their
    # product, 38 digits (by hand), does not, and is given whole below the tables
    x, y = 2432902008176640000, 18446744073709551616
    result = at_width(cli, monkeypatch, 80, "eval", "x * y", f"x={x}", f"y={y}")
    assert result.code == 0, result
    assert re.search(rf"\b{x}\b", result.out) and re.search(rf"\b{y}\b", result.out)
    assert re.search(rf"^\[1\] {x * y}$", result.out, re.M)
    floats = at_width(cli, monkeypatch, 80, "eval", "x * 3", "x=0.1", "--digits", "17").out
    assert "0.30000000000000004" in floats  # a float keeps every digit asked for


def test_a_sum_over_edges_reads_past_consumers_that_reach_no_output(cli, monkeypatch, tmp_path):
    """The cell reads a node's first 9 consumers only; when those reach no output (d1..d9 here), it
    reads on: x's gradient is 5 + 1 = 6 by hand, from the two edges into f."""
    program = tmp_path / "dead.bp"
    dead = "".join(f"d{k} = x * 3\n" for k in range(1, 10))
    program.write_text(f"x = 2\n{dead}f = x * 5 + x\n", encoding="utf-8")
    table = at_width(cli, monkeypatch, 120, "eval", "-f", str(program)).out
    assert re.search(r"^ *x +input +2 +6 +5 \+ 1 = 6 ", table, re.M), table
