"""The interchange format read: JSON Lines (one node record per line) or one JSON array of records,
in any order; every record checked, and any fault reported at its record's line.

Documented in docs/verify.md; backpropcli/schema/verify.schema.json describes one record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import NoReturn

from ..errors import InputError, LimitError, Source
from ..ops import Number
from ..parse.inputs import read_input
from .build import MAX_ARGS, Builder, Columns, Nodes, finite, value
from .columns import FIELDS, MAX_TEXT, columns

MAX_RECORDS = 2_000_000
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


class _Record:
    __slots__ = ("args", "constant", "data", "grad", "id", "label", "line", "local", "offset", "op", "root")
    args: list[str]
    constant: Number | None
    data: float
    grad: Number | None
    id: str
    label: str | None
    line: int
    local: tuple[Number, ...] | None
    offset: int
    op: str | None
    root: bool


def read(path: str, tol: float = 1e-9) -> Nodes:
    """A dump file ('-': stdin) rebuilt: nodes in topological order, the root last."""
    shown = "<stdin>" if path == "-" else path
    source = Source(read_input(path, "graph"), shown)
    found = columns(source.text, DECODER, MAX_RECORDS)
    if found is not None:
        try:
            return Builder(lambda line: None, tol).build(found)
        except InputError:
            pass  # said again below, at its record's line
    records = [_record(raw, offset, line, source) for raw, offset, line in _raw_records(source)]
    if not records:
        raise InputError("the graph has no nodes", source.locate(0))
    return _rebuild(records, source, tol)


def _raw_records(source: Source) -> Iterator[tuple[object, int, int]]:
    """(decoded record, its offset, its line), in file order."""
    text = source.text
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] == "[":
        for obj, offset in _array(source, start):
            yield obj, offset, source.line_col(offset)[0]
        return
    count = 0
    for number, found in enumerate(_LINE.finditer(text), 1):  # lines as Source counts them: \r\n, \r or \n
        line = found.group()
        if line.strip():
            count += 1
            if count > MAX_RECORDS:
                raise LimitError(f"more than {MAX_RECORDS} records, the limit", source.locate(found.start()))
            yield _decode(source, line, found.start()), found.start(), number


def _array(source: Source, start: int) -> Iterator[tuple[object, int]]:
    """Elements of one JSON array, each decoded where it starts, so an error names its line."""
    text, decoder = source.text, _decoder()
    pos, count = _skip(text, start + 1), 0
    if text[pos : pos + 1] == "]":
        pos = _skip(text, pos + 1)
    else:
        while True:
            count += 1
            if count > MAX_RECORDS:
                raise LimitError(f"more than {MAX_RECORDS} records, the limit", source.locate(pos))
            obj, end = _decode_at(source, decoder, pos)
            yield obj, pos
            pos = _skip(text, end)
            if text[pos : pos + 1] == "]":
                pos = _skip(text, pos + 1)
                break
            if text[pos : pos + 1] != ",":
                raise InputError("expected ',' or ']' after a record", source.locate(pos))
            pos = _skip(text, pos + 1)
    if pos != len(text):
        raise InputError("text after the array of records", source.locate(pos))


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _refuse(word: str) -> NoReturn:
    raise ValueError(f"{word} is not a number a gradient can have")


DECODER = json.JSONDecoder(parse_constant=_refuse)


def _decoder() -> json.JSONDecoder:
    return DECODER


def _decode(source: Source, line: str, offset: int) -> object:
    """One line's record, decoded from that line alone (an unfinished record is an error on its line)."""
    line = line.rstrip("\r\n")
    start = len(line) - len(line.lstrip())
    try:
        obj, end = _decoder().raw_decode(line, start)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", source.locate(offset + exc.pos)) from None
    except ValueError as exc:  # NaN, Infinity, or an integer of more digits than Python converts
        raise InputError(f"not JSON this format accepts: {exc}", source.locate(offset + start)) from None
    except RecursionError:
        raise LimitError("the record is nested too deeply", source.locate(offset + start)) from None
    if line[end:].strip():
        raise InputError("one record per line: text after the record", source.locate(offset + end))
    return obj


def _decode_at(source: Source, decoder: json.JSONDecoder, pos: int) -> tuple[object, int]:
    try:
        return decoder.raw_decode(source.text, pos)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", source.locate(exc.pos)) from None
    except ValueError as exc:  # NaN, Infinity, or an integer of more digits than Python converts
        raise InputError(f"not JSON this format accepts: {exc}", source.locate(pos)) from None
    except RecursionError:
        raise LimitError("the record is nested too deeply", source.locate(pos)) from None


def _record(raw: object, offset: int, line: int, source: Source) -> _Record:
    def fail(message: str) -> InputError:
        return InputError(message, source.locate(offset))

    if not isinstance(raw, dict):
        raise fail("a record must be a JSON object")
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        raise fail(f"unknown field {unknown[0]!a} (fields: {', '.join(FIELDS)})")
    r = _Record()
    r.line, r.offset = line, offset
    r.id = _id(raw.get("id"), "id", fail)
    r.op = _text(raw.get("op"), "op", fail)
    r.label = _text(raw.get("label"), "label", fail)
    args = raw.get("args", [])
    if not isinstance(args, list) or len(args) > MAX_ARGS:
        raise fail(f"`args` must be a list of at most {MAX_ARGS} ids")
    r.args = [_id(a, "args", fail) for a in args]
    data = value(_required(raw.get("data"), "data", fail))
    if data is None:
        raise fail("`data` must be a finite number, not an integer beyond the float range")
    r.data = data
    r.grad = _number(raw.get("grad"), "grad", fail)
    local = raw.get("local_grads")
    if local is not None and (not isinstance(local, list) or len(local) > MAX_ARGS):
        raise fail("`local_grads` must be a list of numbers, one per argument")
    r.local = None if local is None else tuple(_required(v, "local_grads", fail) for v in local)
    if "constant" in raw and "exponent" in raw:
        raise fail("give `constant` or `exponent`, not both")
    r.constant = _number(raw.get("constant", raw.get("exponent")), "constant", fail)
    root = raw.get("root", False)
    if root not in (True, False):
        raise fail("`root` must be true or false")
    r.root = bool(root)
    return r


Fail = Callable[[str], InputError]  # an error at the record being read


def _id(v: object, field: str, fail: Fail) -> str:
    if type(v) is int:
        return str(v)
    if isinstance(v, str) and 0 < len(v) <= MAX_TEXT:
        return v
    raise fail(f"`{field}` must hold node ids: integers or strings of 1 to {MAX_TEXT} characters, not {_brief(v)}")


def _text(v: object, field: str, fail: Fail) -> str | None:
    if v is None or (isinstance(v, str) and len(v) <= MAX_TEXT):
        return v
    raise fail(f"`{field}` must be a string of at most {MAX_TEXT} characters, not {_brief(v)}")


def _number(v: object, field: str, fail: Fail) -> Number | None:
    return None if v is None else _required(v, field, fail)


def _required(v: object, field: str, fail: Fail) -> Number:
    number = finite(v) if type(v) in (int, float) else None
    if number is None:
        raise fail(f"`{field}` must be a finite number, not {_brief(v)}")
    return number


def _brief(v: object) -> str:
    text = json.dumps(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _rebuild(records: list[_Record], source: Source, tol: float) -> Nodes:
    by_id: dict[str, _Record] = {}
    for r in records:
        first = by_id.setdefault(r.id, r)
        if first is not r:
            raise _at(source, r, f"duplicate id {r.id!a}: line {first.line} has it too")
    root = _root(records, by_id, source)
    order = records if _in_order(records, root) else _postorder(root, by_id, source)
    starts = {r.line: r.offset for r in order}
    builder = Builder(lambda line: source.locate(starts[line]) if line in starts else None, tol)
    index = {r.id: k for k, r in enumerate(order)}
    local = [r.local for r in order]
    constants = [r.constant for r in order]
    return builder.build(
        Columns(
            [r.label or r.id for r in order],
            [r.op for r in order],
            [tuple([index[a] for a in r.args]) for r in order],
            [r.data for r in order],
            [r.grad for r in order],
            local if any(v is not None for v in local) else None,
            constants if any(v is not None for v in constants) else None,
            [r.line for r in order],
        )
    )


def _root(records: list[_Record], by_id: dict[str, _Record], source: Source) -> _Record:
    marked = [r for r in records if r.root]
    if len(marked) > 1:
        raise _at(source, marked[1], f"a second root: line {marked[0].line} is marked root too")
    if marked:
        return marked[0]
    used = set()
    for r in records:
        for a in r.args:
            if a not in by_id:
                raise _at(source, r, f"argument {a!a} is not the id of any record")
            used.add(a)
    tops = [r for r in records if r.id not in used]
    if len(tops) == 1:
        return tops[0]
    if not tops:
        raise _at(source, records[0], "every node is an argument of another: the graph has a cycle")
    lines = ", ".join(str(r.line) for r in tops[:5])
    raise _at(
        source, tops[1], f'{len(tops)} nodes are no node\'s argument (lines {lines}): mark the root with "root": true'
    )


def _in_order(records: list[_Record], root: _Record) -> bool:
    """Whether the file lists the root's graph already in order, as `backpropcli.export` writes it:
    every argument before its use, the root last, and every other record some record's argument."""
    if records[-1] is not root:
        return False
    seen: set[str] = set()
    for r in records:
        for a in r.args:
            if a not in seen:
                return False
        seen.add(r.id)
    used = {a for r in records for a in r.args}
    return len(used) == len(records) - 1


def _postorder(root: _Record, by_id: dict[str, _Record], source: Source) -> list[_Record]:
    """Records the root reaches, arguments first, iteratively; an argument still open is a cycle."""
    order: list[_Record] = []
    state: dict[str, int] = {}
    stack: list[tuple[_Record, bool]] = [(root, False)]
    while stack:
        r, done = stack.pop()
        if done:
            state[r.id] = 2
            order.append(r)
            continue
        if r.id in state:
            continue
        state[r.id] = 1
        stack.append((r, True))
        for a in reversed(r.args):
            arg = by_id.get(a)
            if arg is None:
                raise _at(source, r, f"argument {a!a} is not the id of any record")
            mark = state.get(a)
            if mark == 1:
                raise _at(source, r, f"a cycle: {r.id!a} depends on {a!a}, which depends on it")
            if mark is None:
                stack.append((arg, False))
    return order


def _at(source: Source, r: _Record, message: str) -> InputError:
    return InputError(message, source.locate(r.offset))
