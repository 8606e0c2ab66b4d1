"""Which rows a human sees when a table would be too long: a summary, not 10^5 lines.

Failures first, then kinks, then the largest gradients; the rest is only counted, and
`--rows all` shows everything. The chosen rows keep their original order.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence, Set
from operator import mul

from ...autodiff import Edges
from ...ops import magnitude
from ...pipeline import Report


def chosen_rows(report: Report, rows: Edges, limit: int | None) -> tuple[list, int]:
    """Ledger rows to show, in visiting order, and how many were left out."""
    if limit is None or len(rows) <= limit:
        return list(rows), 0
    upstream = map(report.back.grads.__getitem__, rows.gates)
    sizes = list(map(magnitude, map(mul, upstream, report.back.edge_locals(rows))))
    records = report.checks.edges.records if report.checks else {}
    keep = _best(rows, sizes, limit, records, set(report.back.kinks))
    return [rows[k] for k in keep], len(rows) - len(keep)


def chosen_nodes(report: Report, ids: list[int], limit: int | None) -> tuple[list[int], int]:
    """Gradient-table rows (node ids) to show, in definition order, and how many were left out."""
    if limit is None or len(ids) <= limit:
        return ids, 0
    sizes = list(map(magnitude, map(report.back.grads.__getitem__, ids)))
    records = report.checks.nodes.records if report.checks else {}
    kinks = {node for node, check in records.items() if check.status == "kink"}
    keep = _best(ids, sizes, limit, records, kinks)
    return [ids[k] for k in keep], len(ids) - len(keep)


def _best(keys: Sequence, sizes: list, limit: int, records: Mapping, kinks: Set) -> list[int]:
    """The `limit` best-ranked positions, back in their original order: failures first, then kinks,
    then the largest sizes (ties: the earlier row). Only the few records and kinks are looked at one
    by one; the rest is one selection in C, O(n log limit), not a full sort."""
    failed = {key for key, check in records.items() if check.status == "fail"}
    first = [k for k, key in enumerate(keys) if key in failed or key in kinks] if failed or kinks else []
    first.sort(key=lambda k: (keys[k] not in failed, keys[k] not in kinks, -sizes[k], k))
    chosen = first[:limit]
    if len(chosen) < limit:
        taken = set(chosen)
        rest = (k for k in range(len(keys)) if k not in taken) if taken else range(len(keys))
        chosen += heapq.nlargest(limit - len(chosen), rest, key=sizes.__getitem__)
    return sorted(chosen)


def remarks(report: Report) -> list[str]:
    """The notes below the tables: what the cross-check skipped or capped, and whether the floats were
    taken again at high precision when the checks ran."""
    if report.checks is None:
        return ["cross-check not run (--no-check)"]
    return list(report.checks.notes) + ([report.floats.note] if report.floats.status == "skip" else [])
