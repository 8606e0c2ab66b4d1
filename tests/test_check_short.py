"""Short names (CS231n's dx for df/dx) under `# backprop: output f` or --output, and files with no claims."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backpropcli.autodiff import backward, forward
from backpropcli.claims.grade import grade
from backpropcli.errors import InputError
from backpropcli.parse import parse

SAMPLES = Path(__file__).parent.parent / "samples"
STAGED = (SAMPLES / "cs231n_staged.bp").read_text()


def graded(text: str, output: str | None = None) -> list:
    graph = parse(text, output=output)
    values = forward(graph, {})
    return list(grade(graph, values, backward(graph, values), 1e-9, True))


def test_the_cs231n_staged_backward_pass_passes_as_written():
    results = graded(STAGED)
    assert all(r.ok for r in results), [(r.claim.name, r.verdict, r.why) for r in results if not r.ok]
    # by hand: f = num/den at x = 3, y = -4; df/dx = dnum*1 + dsigx*s(1-s) + dxpy, sums checked against sympy below
    import sympy as sp

    x, y = sp.symbols("x y")
    f = (x + 1 / (1 + sp.exp(-y))) / (1 / (1 + sp.exp(-x)) + (x + y) ** 2)
    sums = {r.claim.name: r for r in results if r.part == "sum"}
    assert sums["dx"].written == pytest.approx(float(sp.diff(f, x).subs({x: 3, y: -4})), rel=1e-12)
    assert sums["dy"].written == pytest.approx(float(sp.diff(f, y).subs({x: 3, y: -4})), rel=1e-12)


def test_output_option_reads_short_names_without_the_directive():
    plain = STAGED.replace("# backprop: output f\n", "")
    assert all(r.ok for r in graded(plain, output="f"))
    with pytest.raises(InputError, match="augmented assignment is not allowed"):
        parse(plain)  # without an output, dx += ... is forward code


@pytest.mark.parametrize(
    ("sample", "failing"),
    [
        ("cs231n_staged_slip.bp", ("dden", "wrong", "invden = 1 / den, so dinvden/dden = (-1/den**2)")),
        ("cs231n_staged_missing.bp", ("dx", "incomplete", "the contribution through num = x + sigy (0.512144) is")),
        ("cs231n_staged_twice.bp", ("dx", "duplicate", "the contribution through xpy = x + y (1.58319) was already")),
    ],
)
def test_each_broken_variant_fails_naming_the_gate_or_edge(sample, failing):
    results = graded((SAMPLES / sample).read_text())
    first = next(r for r in results if not r.ok)
    name, verdict, why = failing
    assert (first.claim.name, first.verdict) == (name, verdict)
    assert why in first.why


def test_a_directive_naming_nothing_is_an_error():
    with pytest.raises(InputError, match="# backprop: output g: no such name in the program"):
        parse("# backprop: output g\nx = 1\nf = x * 2\ndx = 2\n")


def test_a_long_claim_still_reads_as_a_pair_under_the_directive():
    results = graded("# backprop: output f\nx = 2\nu = x * x\nf = u + 1\ndudx = 2 * x\ndx = dudx\n")
    assert [(r.claim.name, r.true, r.ok) for r in results] == [("dudx", 4, True), ("dx", 4, True)]


NO_DIRECTIVE = "x = 3; y = 2\nf = x * y\ndx = y\ndy = x\n"


@pytest.mark.parametrize("fmt", ["table", "json", "github", "junit"])
def test_a_file_without_claims_says_so_in_every_format_and_names_the_directive(cli, tmp_path, fmt):
    path = tmp_path / "short.bp"
    path.write_text(NO_DIRECTIVE)
    result = cli("check", str(path), "--format", fmt)
    assert result.code == 0
    assert "no gradient claims" in result.out
    assert "# backprop: output f" in result.out and "--output f" in result.out
    if fmt == "json":
        record = json.loads(result.out)["files"][0]
        assert record["claims"] == [] and "dx, dy read as forward code" in record["warnings"][0]
    if fmt == "junit":
        assert "<skipped" in result.out
    if fmt == "github":
        assert result.out.startswith("::warning ")


def test_a_plain_file_without_claims_says_only_that(cli, tmp_path):
    path = tmp_path / "plain.bp"
    path.write_text("x = 3\nf = x * x\n")
    result = cli("check", str(path))
    assert "warning: no gradient claims (d<out>d<node> = expr) in this file\n" in result.out
    assert "directive" not in result.out and "backprop: output" not in result.out


def test_require_all_under_the_directive_names_claims_of_the_directive_output(cli, tmp_path):
    path = tmp_path / "partial.bp"
    path.write_text("# backprop: output f\nx = 3; y = 2\nf = x * y\ng = f + 1\ndx = y\n")
    result = cli("check", str(path), "--require-all")
    assert result.code == 1
    assert "dfdy" in result.out and "dgdy" not in result.out


def test_a_local_gradient_does_not_cover_a_node_for_require_all(cli, tmp_path):
    path = tmp_path / "local.bp"
    path.write_text("w = 5; v = 6\nu = w + v\nf = u * 2\ndfdu = 2\ndudw = 1\ndfdv = 2\n")
    result = cli("check", str(path), "--require-all")
    assert result.code == 1
    assert [line.split()[1] for line in result.out.splitlines() if "missing" in line] == ["dfdw"]
