"""The cyclic garbage collector, paused while a stage builds a large acyclic structure."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """A graph, its checks and its verdicts are acyclic lists, tuples and records: the cyclic
    collector would only rescan them again and again as they grow (it runs again, once, when the
    stage is done). Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
