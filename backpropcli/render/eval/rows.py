"""Which rows a human sees when a table would be too long: a summary, not 10^5 lines.

Failures first, then kinks, then the largest gradients; the rest is only counted, and
`--rows all` shows everything. The chosen rows keep their original order.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from itertools import compress, count, islice, repeat
from operator import eq, gt, is_not, mul

from ...autodiff import Edges
from ...ops import Number, magnitude
from ...pipeline import Report


def chosen_rows(report: Report, rows: Edges, limit: int | None) -> tuple[list, int]:
    """Ledger rows to show, in visiting order, and how many were left out."""
    if limit is None or len(rows) <= limit:
        return list(rows), 0
    grads, back = report.back.grads, report.back

    def sizes() -> Iterator[Number]:
        return map(abs, map(mul, map(grads.__getitem__, rows.gates), back.edge_locals(rows)))  # abs in C

    def size(k: int) -> Number:
        return magnitude(grads[rows.gates[k]] * back.local(rows.gates[k], rows.positions[k]))

    records = report.checks.edges.records if report.checks else {}
    keep = _best(rows, sizes, size, limit, records, set(report.back.kinks))
    return [rows[k] for k in keep], len(rows) - len(keep)


def named(report: Report) -> array:
    """The ids of the named nodes, the gradients table's candidate rows, read from the names column in C
    (no int object or Node per node)."""
    names = report.graph.columns.names
    return array("q", compress(range(len(names)), map(is_not, names, repeat(None))))


def chosen_nodes(report: Report, ids: Sequence[int], limit: int | None) -> tuple[Sequence[int], int]:
    """Gradient-table rows (node ids) to show, in definition order, and how many were left out."""
    if limit is None or len(ids) <= limit:
        return ids, 0
    grads: Sequence = report.back.grads

    def sizes() -> Iterator[Number]:
        return map(abs, map(grads.__getitem__, ids))

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
        taken = set(chosen)
        # the best of the rest: as many more as were taken first, and those dropped
        best = _largest(len(keys), limit, sizes, size)
        chosen += [k for k in best if k not in taken][: limit - len(chosen)]
    return sorted(chosen)


SAMPLE = 4096  # sizes read one by one to set the bar the rest is screened against in C
SCREENED = 1 << 16  # above this many past the bar, the one selection over everything is cheaper


def _largest(n: int, wanted: int, sizes: Callable[[], Iterator[Number]], size: Callable[[int], Number]) -> list[int]:
    """The positions of the `wanted` largest of n sizes (ties: the earlier), best first; a nan ranks
    below every number. A spread-out sample sets a bar that at least `wanted` sizes reach; one pass in
    C keeps the positions above it, and then, where too few are above, the first ones equal to it.
    Only a handful are ranked in Python: the one selection over every row is the fallback."""
    wanted = min(wanted, n)
    if n > 4 * SAMPLE:
        sample = [v for v in map(size, range(0, n, n // SAMPLE)) if v == v]
        sample.sort(reverse=True)
        bar = sample[wanted - 1] if len(sample) >= wanted else None
        if bar is not None:
            above = list(compress(count(), map(gt, sizes(), repeat(bar))))
            if len(above) < wanted:  # the bar itself is among the best: the first ones at it
                equal = compress(count(), map(eq, sizes(), repeat(bar)))
                above += islice(equal, wanted - len(above))
                return sorted(above, key=lambda k: (-size(k), k))
            if len(above) <= SCREENED:
                return _ranked(((size(k), -k) for k in above), wanted)
    return _ranked(zip(sizes(), count(0, -1)), wanted)


def _ranked(pairs: Iterable[tuple[Number, int]], wanted: int) -> list[int]:
    """(size, -position) pairs rank as heapq ranks by a key: the larger size, then the earlier row;
    a nan below every number."""
    return [-k for _, k in heapq.nlargest(wanted, ((v if v == v else -math.inf, k) for v, k in pairs))]


def remarks(report: Report) -> list[str]:
    """The notes below the tables: what the cross-check skipped or capped, and whether the floats were
    taken again at high precision when the checks ran."""
    if report.checks is None:
        return ["cross-check not run (--no-check)"]
    return list(report.checks.notes) + ([report.floats.note] if report.floats.status == "skip" else [])
