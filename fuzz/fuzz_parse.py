"""Coverage-guided fuzzing of everything that reads user text: program files, argv expressions, bindings.

Each input either works or raises BackpropError (exit 2 at the CLI); any other exception, a
hang past -timeout or memory past -rss_limit_mb is a finding. The first byte picks the reader:

    0  program file bytes: strict UTF-8 decoding, parse, forward and backward passes
    1  an argv expression (bytes arrive as surrogates, as in sys.argv), parse, forward, backward
    2  bindings: whitespace-separated name=value items, and --set style comma lists

Install the extra and run for ten minutes; new inputs go to the first directory, the seeds
(the hostile-input tests' table, written by make_corpus.py) are read from the second:

    pip install '.[fuzz]'
    python fuzz/make_corpus.py
    mkdir -p /tmp/backprop-fuzz
    python fuzz/fuzz_parse.py /tmp/backprop-fuzz fuzz/corpus -max_total_time=600 -timeout=10 -rss_limit_mb=4096
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from backpropcli.autodiff import backward, forward
    from backpropcli.errors import BackpropError
    from backpropcli.graph import INPUT
    from backpropcli.parse import parse
    from backpropcli.parse.bindings import parse_bindings, split_sets
    from backpropcli.parse.inputs import decode

POINT = (3, 0.5, -2)  # values cycled over a program's unbound inputs: exact, float, negative


def run_program(text: str, path: str) -> None:
    graph = parse(text, path)
    free = [n.name for n in graph.nodes if n.op == INPUT and n.value is None]
    point = {name: POINT[k % len(POINT)] for k, name in enumerate(free)}
    backward(graph, forward(graph, point))


def file_bytes(data: bytes) -> None:
    run_program(decode(data, "fuzz.bp"), "fuzz.bp")


def argv_expression(data: bytes) -> None:
    run_program(data.decode("utf-8", "surrogateescape"), "<expr>")


def bindings(data: bytes) -> None:
    items = data.decode("utf-8", "surrogateescape").split()
    parse_bindings(items)
    parse_bindings(split_sets(tuple(items)))


READERS = (file_bytes, argv_expression, bindings)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    try:
        READERS[data[0] % len(READERS)](data[1:])
    except BackpropError as exc:
        exc.render()  # the message itself must be printable for any input


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
