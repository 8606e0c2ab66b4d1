"""Timing on a shared, noisy machine: peers measured side by side in one run, medians of paired ratios.

A ratio is taken per round (both peers measured back to back), then the median over rounds, so
load that comes and goes during the run hits both sides of each ratio alike.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def timed(fn: Callable[[], object], gc_off: bool = False) -> float:
    """Seconds one call takes; with gc_off the cyclic collector is paused during it.

    What the call returns is released after the clock stops: tearing a graph down is not part of
    building or running it (micrograd's Values, held in reference cycles, are only ever freed by
    the collector outside the timed call, so timing our teardown would not be even-handed).
    """
    gc.collect()
    if gc_off:
        gc.disable()
    try:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        del result
        return elapsed
    finally:
        gc.enable()


def rounds(peers: dict[str, Callable[[], T]], count: int) -> dict[str, list[T]]:
    """Every peer once per round, in the same order each round; the samples per peer."""
    samples: dict[str, list[T]] = {name: [] for name in peers}
    for _ in range(count):
        for name, run in peers.items():
            samples[name].append(run())
    return samples


def paired_ratio(samples: dict[str, list[float]], slow: str, fast: str) -> float:
    """Median over rounds of slow/fast, each ratio taken within one round."""
    return statistics.median(s / f for s, f in zip(samples[slow], samples[fast], strict=True))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def peak_growth(fn: Callable[[], object]) -> int:
    """Peak bytes allocated while fn runs, above what was allocated before (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        keep = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del keep
    return peak - base


def backprop_command() -> list[str]:
    """The `backprop` script installed beside this interpreter, else `python -m backpropcli`.

    Not whatever `backprop` is first on PATH: a version manager's shim there would add a shell's
    start-up to every measurement.
    """
    script = os.path.join(os.path.dirname(sys.executable), "backprop")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "backpropcli"]


def process_time(argv: list[str], stdout_path: str = os.devnull) -> float:
    """Wall seconds of one whole process, its output sent to a file (see process_usage)."""
    return process_usage(argv, stdout_path)[0]


def process_usage(argv: list[str], stdout_path: str = os.devnull) -> tuple[float, float]:
    """Wall seconds and CPU seconds (its own user + system) of one whole process, its output sent to a
    file; it must succeed (status 0 or 1, and no traceback: a peer that fails to import exits 1 too).
    On a shared machine wall time stretches with the load and CPU time much less."""
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read()
    if code not in (0, 1) or b"Traceback" in stderr:
        raise RuntimeError(f"{' '.join(argv)} exited {code}: {stderr.decode(errors='replace')[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def process_peak(argv: list[str], stdout_path: str = os.devnull) -> tuple[float, int]:
    """Wall seconds and peak resident memory (bytes) of one whole process; status 0 or 1 required.

    The peak is read by /usr/bin/time, a small process that starts the command: Linux counts the
    resident memory a child inherits at fork in its peak, so a child forked straight from the bench
    (which holds large programs) would report the bench's size, not its own.
    """
    with open(stdout_path, "wb") as out:
        start = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *argv], stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        elapsed = time.perf_counter() - start
    err = done.stderr.decode(errors="replace")
    if done.returncode not in (0, 1) or "Traceback" in err:
        raise RuntimeError(f"{' '.join(argv)[:200]} exited {done.returncode}: {err[-500:]}")
    return elapsed, int(err.strip().splitlines()[-1]) * 1024  # kilobytes


def interleaved(commands: dict[str, list[str]], count: int) -> dict[str, list[float]]:
    """Whole-process wall times, the commands taking turns, `count` runs each."""
    return interleaved_usage(commands, count)[0]


def interleaved_usage(commands: dict[str, list[str]], count: int) -> tuple[dict, dict]:
    """Whole processes taking turns, `count` rounds: wall seconds and CPU seconds of each run."""
    runs = rounds({name: (lambda argv=argv: process_usage(argv)) for name, argv in commands.items()}, count)
    wall = {name: [w for w, _ in samples] for name, samples in runs.items()}
    cpu = {name: [c for _, c in samples] for name, samples in runs.items()}
    return wall, cpu
