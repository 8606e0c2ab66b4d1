"""Which rows a human sees when a table would be too long: a summary, not 10^5 lines.

Failures first, then kinks, then the largest gradients; the rest is only counted, and
`--rows all` shows everything. The chosen rows keep their original order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from ...ops import magnitude
from ...pipeline import Report


def chosen_rows(report: Report, rows: list[tuple[int, int]], limit: int | None) -> tuple[list, int]:
    """Ledger rows to show, in visiting order, and how many were left out."""
    if limit is None or len(rows) <= limit:
        return rows, 0
    status = report.checks.edges.status if report.checks else _unchecked
    kinks = set(report.back.kinks)
    grads, partials = report.back.grads, report.back.partials

    def rank(k: int) -> tuple:
        edge = rows[k]
        local = partials[edge[0]]
        assert local is not None  # a ledger row's gate reaches the output
        downstream = grads[edge[0]] * local[edge[1]]
        return (status(edge) != "fail", edge not in kinks, -magnitude(downstream), k)

    keep = _best(len(rows), limit, rank)
    return [rows[k] for k in keep], len(rows) - len(keep)


def chosen_nodes(report: Report, ids: list[int], limit: int | None) -> tuple[list[int], int]:
    """Gradient-table rows (node ids) to show, in definition order, and how many were left out."""
    if limit is None or len(ids) <= limit:
        return ids, 0
    status = report.checks.nodes.status if report.checks else _unchecked
    grads = report.back.grads

    def rank(k: int) -> tuple:
        verdict = status(ids[k])
        return (verdict != "fail", verdict != "kink", -magnitude(grads[ids[k]]), k)

    keep = _best(len(ids), limit, rank)
    return [ids[k] for k in keep], len(ids) - len(keep)


def _unchecked(key) -> None:
    """No checks ran: no verdict for any row."""


def _best(count: int, limit: int, rank: Callable[[int], tuple]) -> list[int]:
    """The `limit` best-ranked positions, back in their original order: O(n log limit), not a full sort."""
    return sorted(heapq.nsmallest(limit, range(count), key=rank))


def remarks(report: Report) -> list[str]:
    """The notes below the tables: what the cross-check skipped or capped, and whether the floats were
    taken again at high precision when the checks ran."""
    if report.checks is None:
        return ["cross-check not run (--no-check)"]
    return list(report.checks.notes) + ([report.floats.note] if report.floats.status == "skip" else [])
