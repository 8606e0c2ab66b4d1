"""backprop: node-level gradients of scalar expressions, cross-checked with sympy."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["Report", "__version__", "analyze", "export", "verify", "verify_dump"]

if TYPE_CHECKING:
    from .engines import export, verify, verify_dump
    from .pipeline import Report, analyze


def __dir__() -> list[str]:
    """The API, as `dir(backpropcli)` and tab completion show it, though it loads on first use."""
    return sorted(__all__)


def __getattr__(name: str):
    """The API loads on first use, so `backprop --version` and `--help` start without the pipeline."""
    if name in ("Report", "analyze"):
        from . import pipeline

        return getattr(pipeline, name)
    if name in ("verify", "verify_dump", "export"):
        from . import engines

        return getattr(engines, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
