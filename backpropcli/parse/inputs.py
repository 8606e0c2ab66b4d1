"""Reading the user's program: from argv, a file or stdin, capped while reading, strictly UTF-8.

The cap holds while reading, so an endless source (-f /dev/zero) stops at the limit, not at the
end of memory.
"""

from __future__ import annotations

import sys

from ..errors import InputError, LimitError, Source

MAX_INPUT_BYTES = 64 * 1024 * 1024


def program(args: tuple[str, ...], path: str | None) -> tuple[str, str, tuple[str, ...]]:
    """The program text, a name for it in messages, and the remaining positional bindings."""
    if path is not None:
        return read_input(path), ("<stdin>" if path == "-" else path), args
    if not args:
        raise InputError("no expression given: pass EXPR, '-' for stdin, or -f PATH (see backprop eval --help)")
    if args[0] == "-":
        return read_input("-"), "<stdin>", args[1:]
    if len(args[0].encode("utf-8", "surrogateescape")) > MAX_INPUT_BYTES:
        raise LimitError(f"the expression is larger than the limit of {MAX_INPUT_BYTES // 2**20} MiB")
    return args[0], "<expr>", args[1:]


def read_input(path: str, kind: str = "program") -> str:
    """Bytes from a file or stdin, capped while reading, decoded as UTF-8 (a BOM is allowed)."""
    try:
        if path == "-":
            stream = sys.stdin.buffer if sys.stdin is not None else None
            if stream is None:
                raise InputError("stdin is closed: nothing to read")
            data = stream.read(MAX_INPUT_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except IsADirectoryError:
        raise InputError(f"{path!a} is a directory, not a {kind} file") from None
    except FileNotFoundError:
        raise InputError(f"no such file: {path!a}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path!a}: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise LimitError(f"the input is larger than the limit of {MAX_INPUT_BYTES // 2**20} MiB")
    return decode(data, "<stdin>" if path == "-" else path)


def decode(data: bytes, name: str) -> str:
    """Strict UTF-8 (a BOM is dropped); a bad byte is reported where it is, with its line shown."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = len(body[: exc.start].decode("utf-8"))
        where = Source(body.decode("utf-8", "replace"), name).locate(offset)
        raise InputError(f"the input is not UTF-8 (byte 0x{body[exc.start]:02x})", where) from None
