"""backprop: node-level gradients of scalar expressions, cross-checked with sympy."""

__version__ = "0.1.0"

from .pipeline import Report, analyze

__all__ = ["Report", "__version__", "analyze"]
