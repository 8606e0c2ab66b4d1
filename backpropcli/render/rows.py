"""Which ledger rows a human sees when there are too many: failures and kinks first."""

from __future__ import annotations

from ..pipeline import Report


def chosen_rows(report: Report, rows: list[tuple[int, int]], limit: int | None) -> tuple[list, int]:
    """Rows to show, in visiting order, and how many were left out."""
    if limit is None or len(rows) <= limit:
        return rows, 0
    checks = report.checks.edges if report.checks else {}
    kinks = set(report.back.kinks)

    def rank(item: tuple[int, tuple[int, int]]) -> tuple:
        order, edge = item
        status = checks[edge].status if edge in checks else ""
        back = report.back
        size = abs(float(back.grads[edge[0]] * back.partials[edge[0]][edge[1]]))
        return (status != "fail", edge not in kinks, -size, order)

    keep = sorted(sorted(enumerate(rows), key=rank)[:limit])
    return [edge for _, edge in keep], len(rows) - len(keep)
