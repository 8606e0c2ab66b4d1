"""The interchange format read: JSON Lines (one node record per line), one JSON array of records in
any order, or the columnar document (document.py); every record checked, and any fault reported at its
record's line (the document's: at its node).

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
from . import document
from .build import Builder
from .columns import FIELDS, MAX_TEXT, columns
from .nodes import MAX_ARGS, Nodes, finite, value
from .order import Record, rebuild

MAX_RECORDS = 2_000_000
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def read(path: str, tol: float = 1e-9) -> Nodes:
    """A dump file ('-': stdin) rebuilt: nodes in topological order, the root last."""
    shown = "<stdin>" if path == "-" else path
    source = Source(read_input(path, "graph"), shown)
    doc = document.decoded(source.text, DECODER)
    if doc is not None:
        return _document(doc, source, tol)
    found = columns(source.text, DECODER, MAX_RECORDS)
    if found is not None:
        try:
            return Builder(lambda line: None, tol).build(found)
        except InputError:
            pass  # said again below, at its record's line
    records = [_record(raw, offset, line, source) for raw, offset, line in _raw_records(source)]
    if not records:
        raise InputError("the graph has no nodes", source.locate(0))
    return rebuild(records, source, tol)


def _document(doc: dict, source: Source, tol: float) -> Nodes:
    """The columnar form: taken whole, or node by node where the record reader must say what is wrong."""
    found, rows = document.columns(doc, source, MAX_RECORDS)
    if found is not None:
        return Builder(lambda line: None, tol).build(found)
    records = []
    for k, raw in enumerate(rows):
        try:
            records.append(_record(raw, 0, k, source))
        except InputError as exc:
            raise InputError(f"node {k}: {exc.message}", source.locate(0)) from None
    return rebuild(records, source, tol)


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


def _record(raw: object, offset: int, line: int, source: Source) -> Record:
    def fail(message: str) -> InputError:
        return InputError(message, source.locate(offset))

    if not isinstance(raw, dict):
        raise fail("a record must be a JSON object")
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        raise fail(f"unknown field {unknown[0]!a} (fields: {', '.join(FIELDS)})")
    r = Record()
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
