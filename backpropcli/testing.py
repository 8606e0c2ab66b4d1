"""For a course's test suite: assert that an engine's grads are right, with the verdict table as the message.

from backpropcli.testing import assert_gradients

def test_neuron():
    out = neuron(x)
    out.backward()
    assert_gradients(out)
"""

from __future__ import annotations

from .engines import Adapter, Report, verify


def assert_gradients(root: object, adapter: Adapter | None = None, tol: float = 1e-9) -> Report:
    """Pass silently (returning the report) when every node is right; else raise AssertionError whose
    message is the verdict table, wrong nodes first."""
    report = verify(root, adapter, tol)
    if not report.ok:
        raise AssertionError("\n" + str(report))
    return report
