"""Write the fuzzer's seed corpus from the hostile-input tests' table and the samples.

Each seed is one byte naming the reader (see fuzz_parse.py), then the input. Rerun after the
table grows:  python fuzz/make_corpus.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"
FILE, ARGV, BINDINGS = b"\x00", b"\x01", b"\x02"

# Byte-level cases that cannot be written as str in the test table.
RAW = {
    "bom-crlf-tabs": FILE + b"\xef\xbb\xbfx = 3\r\n\ty\t= x * x\t# caf\xc3\xa9\r\n",
    "lone-cr": FILE + b"x = 1\ry = x * 2\r",
    "invalid-utf8": FILE + b"x = 1\ny = x*\xff2\n",
    "truncated-utf8": FILE + b"x = 1 # \xc3",
    "overlong-utf8": FILE + b"x = \xc0\xaf",
    "nul": FILE + b"x = 1\x00\n",
    "continuation-at-end": FILE + b"x = 1\ny = x * \\",
    "nesting-past-the-limit": ARGV + b"(" * 1001 + b"x" + b")" * 1001,
    "unary-chain": ARGV + b"-" * 3000 + b"x",
    "long-sum": ARGV + b"+".join(b"x%d" % (k % 7) for k in range(500)),
}


def seeds() -> dict[str, bytes]:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_hostile import BAD

    found = dict(RAW)
    for param in BAD:
        program, bindings, _says, _at, _options = param.values
        text = program.encode("utf-8", "surrogateescape")
        found[f"{param.id}-file"] = FILE + text
        found[f"{param.id}-argv"] = ARGV + text
        if bindings:
            found[f"{param.id}-bindings"] = BINDINGS + " ".join(bindings).encode("utf-8", "surrogateescape")
    for sample in sorted((ROOT / "samples").glob("*.bp")):
        found[f"sample-{sample.stem}"] = FILE + sample.read_bytes()
    return found


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for name, data in seeds().items():
        (CORPUS / name).write_bytes(data)


if __name__ == "__main__":
    main()
