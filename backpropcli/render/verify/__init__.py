"""`backprop verify` output: table, json, github and junit, from the rows of a verify report."""


def summary(report) -> str:
    """The one line CI reads: nodes that pass and fail (and those not judged, if any)."""
    skipped = f", {report.skipped} skipped" if report.skipped else ""
    return f"verify: {report.passed} passed, {report.failed} failed{skipped}"
