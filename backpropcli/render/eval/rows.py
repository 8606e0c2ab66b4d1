"""Which rows a human sees when a table would be too long: a summary, not 10^5 lines.

Failures first, then kinks, then the largest gradients; the rest is only counted, and
`--rows all` shows everything. The chosen rows keep their original order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from itertools import count
from operator import mul

from ...autodiff import Edges
from ...ops import Number, magnitude
from ...pipeline import Report


def chosen_rows(report: Report, rows: Edges, limit: int | None) -> tuple[list, int]:
    """Ledger rows to show, in visiting order, and how many were left out."""
    if limit is None or len(rows) <= limit:
        return list(rows), 0
    grads, back = report.back.grads, report.back

    def sizes() -> Iterator[Number]:
        return map(magnitude, map(mul, map(grads.__getitem__, rows.gates), back.edge_locals(rows)))

    def size(k: int) -> Number:
        return magnitude(grads[rows.gates[k]] * back.local(rows.gates[k], rows.positions[k]))

    records = report.checks.edges.records if report.checks else {}
    keep = _best(rows, sizes, size, limit, records, set(report.back.kinks))
    return [rows[k] for k in keep], len(rows) - len(keep)


def chosen_nodes(report: Report, ids: Sequence[int], limit: int | None) -> tuple[Sequence[int], int]:
    """Gradient-table rows (node ids) to show, in definition order, and how many were left out."""
    if limit is None or len(ids) <= limit:
        return ids, 0
    grads = report.back.grads

    def sizes() -> Iterator[Number]:
        return map(magnitude, map(grads.__getitem__, ids))

    records = report.checks.nodes.records if report.checks else {}
    kinks = {node for node, check in records.items() if check.status == "kink"}
    keep = _best(ids, sizes, lambda k: magnitude(grads[ids[k]]), limit, records, kinks)
    return [ids[k] for k in keep], len(ids) - len(keep)


def _best(
    keys: Sequence,
    sizes: Callable[[], Iterator[Number]],
    size: Callable[[int], Number],
    limit: int,
    records: Mapping,
    kinks: Set,
) -> list[int]:
    """The `limit` best-ranked positions, back in their original order: failures first, then kinks,
    then the largest sizes (ties: the earlier row). Only the few records and kinks are looked at one
    by one (`size` of one position); the rest is one selection in C over `sizes()` as they come,
    O(n log limit) and nothing held per row, not a full sort."""
    failed = {key for key, check in records.items() if check.status == "fail"}
    first = [k for k, key in enumerate(keys) if key in failed or key in kinks] if failed or kinks else []
    first.sort(key=lambda k: (keys[k] not in failed, keys[k] not in kinks, -size(k), k))
    chosen = first[:limit]
    if len(chosen) < limit:
        # (size, -position) pairs rank as heapq ranks by a key: the larger size, then the earlier row
        ranked: Iterator[tuple[Number, int]] = zip(sizes(), count(0, -1))
        if chosen:
            taken = set(chosen)
            ranked = (pair for pair in ranked if -pair[1] not in taken)
        chosen += [-k for _, k in heapq.nlargest(limit - len(chosen), ranked)]
    return sorted(chosen)


def remarks(report: Report) -> list[str]:
    """The notes below the tables: what the cross-check skipped or capped, and whether the floats were
    taken again at high precision when the checks ran."""
    if report.checks is None:
        return ["cross-check not run (--no-check)"]
    return list(report.checks.notes) + ([report.floats.note] if report.floats.status == "skip" else [])
