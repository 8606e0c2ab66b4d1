"""A JSON Lines dump read whole, the common way: one parse of the document, each field checked a
column at a time, the records in order as `backpropcli.export` writes them.

Anything this reading does not take as it is (an error, an unusual but valid record, records out of
order, an array of records) returns None, and the reader of dump.py goes over it record by record,
saying what is wrong at which line. What is taken here is exactly what that reader takes, so both
give the same graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import chain, compress, repeat
from operator import itemgetter, lt

from ..ops import Number
from .nodes import MAX_ARGS, Columns

MAX_TEXT = 200  # characters of an id, label or op
FIELDS = ("id", "op", "args", "data", "grad", "label", "local_grads", "constant", "exponent", "root")
_FIELDS = frozenset(FIELDS)
_NUMBERS = {int, float}
_EMPTY: list = []


class Irregular(Exception):
    """Something for the record-by-record reader to look at."""


def columns(text: str, decoder: json.JSONDecoder, limit: int) -> Columns | None:
    """The dump's graph as columns, or None: the record-by-record reader decides."""
    if "\r" in text:  # lines as the record reader counts them: \n alone here
        return None
    lines = text.split("\n")
    filled = list(map(str.strip, lines))  # a blank line is no record (the record reader skips it too)
    kept = list(compress(range(1, len(lines) + 1), filled))
    if not kept or len(kept) > limit or lines[kept[0] - 1].lstrip().startswith("["):
        return None
    try:
        records = _records(decoder, list(compress(lines, filled)))
        return _graph(records, kept)
    except Irregular:
        return None


def _records(decoder: json.JSONDecoder, lines: list[str]) -> list[dict]:
    """One parse, each line wrapped in brackets: a line holds exactly one record when the document has
    as many one-element lists as lines. A string cannot cross the newline kept between them, and a
    record split over two lines would read `],[` inside itself, which only an array of arrays takes:
    no field does (the column checks refuse it)."""
    try:
        wrapped = decoder.decode("[[" + "]\n,[".join(lines) + "]]")
    except (ValueError, RecursionError):
        raise Irregular from None
    if len(wrapped) != len(lines) or set(map(type, wrapped)) != {list} or set(map(len, wrapped)) != {1}:
        raise Irregular
    records = list(map(itemgetter(0), wrapped))
    if set(map(type, records)) != {dict}:
        raise Irregular
    if not all(map(_FIELDS.issuperset, records)):
        raise Irregular
    return records


def _field(records: list[dict], name: str, default: object = None) -> list:
    """One field of every record, a column (read at C speed)."""
    return list(map(dict.get, records, repeat(name), repeat(default)))


def _graph(records: list[dict], lines: list[int]) -> Columns:
    ids = _ids(_field(records, "id"))
    position = dict(zip(ids, range(len(ids)), strict=True))
    if len(position) != len(ids):
        raise Irregular
    args = _args(_field(records, "args", _EMPTY), position)
    _in_order(args, _field(records, "root", False))
    labels: list[str | None] = _field(records, "label")
    ops: list[str | None] = _field(records, "op")
    data = _field(records, "data")  # floats, as the check below makes sure
    grads = _field(records, "grad")
    fields(labels, ops, data, grads)
    return Columns(
        [*ids] if labels.count(None) == len(labels) else [label or i for label, i in zip(labels, ids, strict=True)],
        ops,
        args,
        data,
        grads,
        locals_of(_field(records, "local_grads")),
        _constants(records),
        lines,
    )


def _ids(ids: list) -> list[str]:
    kinds = set(map(type, ids))
    if not kinds <= {str, int}:
        raise Irregular
    if int in kinds:
        ids = [str(i) if type(i) is int else i for i in ids]
    if min(map(len, ids)) < 1 or max(map(len, ids)) > MAX_TEXT:
        raise Irregular
    return ids


def _args(lists: list, position: dict[str, int]) -> list[tuple[int, ...]]:
    """Argument ids as earlier records' positions."""
    if set(map(type, lists)) != {list} or max(map(len, lists)) > MAX_ARGS:
        raise Irregular
    kinds = set(map(type, chain.from_iterable(lists)))
    if not kinds <= {str, int}:
        raise Irregular
    if int in kinds:
        lists = [[str(a) if type(a) is int else a for a in args] for args in lists]
    try:  # an argument found is some record's id, of a length the ids were checked for
        return list(map(tuple, map(map, repeat(position.__getitem__), lists)))
    except KeyError:
        raise Irregular from None


def _in_order(args: list[tuple[int, ...]], roots: list) -> None:
    """Every argument before its use, and the last record the root: the only one no record uses."""
    try:
        if not set(roots) <= {True, False}:
            raise Irregular
    except TypeError:  # a list or an object given as `root`
        raise Irregular from None
    last = len(args) - 1
    marked = [k for k, root in enumerate(roots) if root]
    if marked and marked != [last]:
        raise Irregular
    if not all(map(lt, chain.from_iterable(args), owners(args))):
        raise Irregular
    if len(set(chain.from_iterable(args))) != last:
        raise Irregular


def owners(args: list) -> Iterator[int]:
    """For each argument, in order, the position of the node it belongs to."""
    return chain.from_iterable(map(repeat, range(len(args)), map(len, args)))


def fields(labels: list, ops: list, data: list, grads: list) -> None:
    """Labels and ops strings or absent, data finite floats, grads finite numbers or absent."""
    texts(labels)
    texts(ops)
    if set(map(type, data)) != {float} or not finite_floats(data):
        raise Irregular
    numbers(grads, absent=True)


def texts(given: list) -> None:
    """Labels or ops: absent, or strings of at most MAX_TEXT characters."""
    kinds = set(map(type, given))
    if not kinds <= {str, type(None)} or (str in kinds and max(map(len, filter(None, given)), default=0) > MAX_TEXT):
        raise Irregular


def numbers(given: list, absent: bool = False) -> None:
    """Finite ints and floats (and, with `absent`, None for a field not given)."""
    if not set(map(type, given)) <= (_NUMBERS | {type(None)} if absent else _NUMBERS):
        raise Irregular
    if not finite_floats(filter(None, given)):  # zeros and Nones left out: the rest are numbers
        raise Irregular


def finite_floats(numbers: Iterable) -> bool:
    try:
        total = sum(numbers)
    except OverflowError:
        return False
    return total - total == 0


def locals_of(given: list) -> list[tuple[Number, ...] | None] | None:
    lists = [g for g in given if g is not None]
    if not lists:
        return None
    if set(map(type, lists)) != {list} or max(map(len, lists)) > MAX_ARGS:
        raise Irregular
    numbers(list(chain.from_iterable(lists)))
    return [None if g is None else tuple(g) for g in given]


def _constants(records: list[dict]) -> list[Number | None] | None:
    """The constant operands, as the record reader takes them: `constant`, else `exponent`."""
    named = [name for name in ("constant", "exponent") if any(map(dict.__contains__, records, repeat(name)))]
    if not named:
        return None
    if len(named) == 2:
        if any("constant" in r and "exponent" in r for r in records):
            raise Irregular
        constants = [r.get("constant", r.get("exponent")) for r in records]
    else:
        constants = _field(records, named[0])
    numbers(constants, absent=True)
    return constants
