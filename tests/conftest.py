"""Shared test setup: which package is under test, hypothesis's profile and seed, a pinned console,
and a switch to rewrite golden files on purpose."""

from __future__ import annotations

import os
import random
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# CI draws the same examples on every run (a failure in its log can be rerun); the long run and a
# developer's run draw fresh ones. Either way the header prints the seed: --hypothesis-seed=N repeats it.
settings.register_profile("ci", database=None, print_blob=True)
settings.register_profile("long", print_blob=True)
settings.register_profile("dev")
CI_SEED = 0


def _profile() -> str:
    if os.environ.get("BACKPROP_LONG_PROPERTIES") == "1":
        return "long"
    return "ci" if os.environ.get("CI") else "dev"


@pytest.hookimpl(tryfirst=True)  # before hypothesis's own plugin reads the seed
def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile(_profile())
    config.addinivalue_line("markers", "needs_dot: runs Graphviz's dot program; skipped where it is not installed")
    if config.getoption("hypothesis_seed") is None:
        seed = CI_SEED if _profile() == "ci" else random.SystemRandom().randrange(2**32)
        config.option.hypothesis_seed = str(seed)
    import backpropcli

    # CI installs the wheel and sets BACKPROP_INSTALLED=1: a test run that imports the checkout instead
    # would pass with a broken package
    where = Path(backpropcli.__file__).resolve()
    if os.environ.get("BACKPROP_INSTALLED") == "1" and where.is_relative_to(ROOT):
        raise pytest.UsageError(f"BACKPROP_INSTALLED=1 but backpropcli is imported from the checkout: {where}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("dot") is None:
        missing = pytest.mark.skip(reason="Graphviz's dot program is not installed")
        for item in items:
            if item.get_closest_marker("needs_dot"):
                item.add_marker(missing)


def pytest_report_header(config: pytest.Config) -> list[str]:
    import backpropcli

    seed = config.getoption("hypothesis_seed")
    return [
        f"backpropcli {backpropcli.__version__} from {Path(backpropcli.__file__).resolve().parent}",
        f"hypothesis profile {_profile()!r}, seed {seed} (rerun with --hypothesis-seed={seed})",
    ]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden/* from current output")


@pytest.fixture
def matches_golden(request: pytest.FixtureRequest):
    """Compare what a user sees with its reviewed golden file; rewrite it under --update-goldens."""
    update = request.config.getoption("--update-goldens")

    def check(golden: Path, text: str) -> None:
        if update:
            golden.write_text(text, encoding="utf-8")
        assert golden.exists(), f"missing {golden.name}: run pytest --update-goldens and review it"
        assert text == golden.read_text(encoding="utf-8")

    return check


@pytest.fixture(autouse=True)
def pinned_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Golden output must not depend on the terminal that runs the tests."""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


class Outcome:
    """What a command line did: exit status and both streams, as text."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Outcome(code={self.code}, err={self.err!r}, out={self.out[:200]!r})"


@pytest.fixture
def cli():
    """Run `backprop ARGS` in process through the real error boundary (`run`), with stdin bytes."""
    from click.testing import CliRunner

    from backpropcli.cli import run

    def invoke(*args: str, stdin: bytes | str = b"") -> Outcome:
        runner = CliRunner()
        data = stdin.encode() if isinstance(stdin, str) else stdin
        with runner.isolation(input=data) as (out, err, *_):
            try:
                run(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            sys.stdout.flush()
            sys.stderr.flush()
            return Outcome(code, out.getvalue().decode(), err.getvalue().decode())

    return invoke
