"""The columnar graph against the node-by-node view it replaces, and the parser's fast paths against its
slow ones: the same nodes, consumers, tokens and errors either way."""

import pytest

from backpropcli.autodiff import backward, forward
from backpropcli.errors import InputError, Source
from backpropcli.graph import CONST, INPUT, Columns, Graph, Node
from backpropcli.ops import MAX_EXACT_BITS, exact
from backpropcli.parse import parse
from backpropcli.parse.lexer import _scan, statement

PROGRAMS = [
    "x = 2\ny = 3\na = x * x\nb = max(a, x, y, a)\nf = b + x*a - y",
    "f = -(-x) ** 2 + sin(x) / (1 + x)",
    "w = 2 * 3 + 1\nf = w * x",
    "a = 0.5\nb = a\nc = tanh(b) + min(a, b, 1, 2)\nf = c * c",
]


def brute_consumers(nodes):
    uses = [[] for _ in nodes]
    for gate, node in enumerate(nodes):
        for pos, arg in enumerate(node.args):
            uses[arg].append((gate, pos))
    return tuple(tuple(u) for u in uses)


@pytest.mark.parametrize("text", PROGRAMS)
def test_columns_and_nodes_agree(text):
    graph = parse(text, bound=frozenset("x"))
    nodes = tuple(graph.nodes)
    again = Graph(nodes, graph.output, graph.source, graph.claims)  # built from Node tuples instead
    assert again == graph
    assert tuple(again.nodes) == nodes
    assert [graph.nodes[i] for i in range(len(nodes))] == list(nodes)
    assert graph.nodes[-1] == nodes[-1] and graph.nodes[1:3] == nodes[1:3]
    assert tuple(graph.consumers) == brute_consumers(nodes)
    assert graph.inputs == tuple(i for i, n in enumerate(nodes) if n.op == INPUT)
    assert graph.varies == tuple(n.op != CONST for n in nodes)
    assert all(graph.args(i) == n.args for i, n in enumerate(nodes))


def test_a_gate_with_more_than_two_arguments_keeps_them_all():
    graph = parse("f = max(x, y, z, x)")
    gate = graph.nodes[graph.output]
    assert gate.args == (0, 1, 2, 0)
    values = forward(graph, {"x": 1.0, "y": 5.0, "z": 2.0})
    assert values[graph.output] == 5.0
    grads = backward(graph, values).grads
    assert grads[:3] == (0, 1, 0)


def test_fan_out_of_a_million_edges_is_cheap_to_list():
    columns = Columns()
    columns.append(INPUT, (), "x", 1, 0, 1)
    for i in range(1, 200_001):
        columns.append("add", (0, i - 1) if i > 1 else (0, 0), None, None, 0, 1)
    uses = Graph(columns, len(columns) - 1).consumers[0]
    assert len(uses) == 200_001 and uses[:3] == ((1, 0), (1, 1), (2, 0))


def test_a_graph_is_immutable():
    graph = parse("f = x * 2")
    with pytest.raises(AttributeError):
        graph.output = 0


LINES = [
    "f = a + b * c - d / e ** f ^ g",
    "f = (a + b) * (c - d)",
    "f = -(-(-a)) + max(a, b, c)",
    "f = 1.5e-3 * x + 2 * y + 10 * z",
    "f =   a  +\tb",
    "f = 2x",
    "f = a.b",
    "f = .5 * a",
    "f = a + 'b'",
    "f = a # comment",
    "f = a; g = b",
    "f = (a +\n b)",
    "f = lambda + 1",
    "f = a \\\n + b",
    "f = a\r\ng = b",
    "f = a\u2212b",
]


@pytest.mark.parametrize("line", LINES)
def test_one_line_tokens_are_the_scans_tokens(line):
    """The C-level one-line path gives the same tokens and next position as the scan, or the same error."""
    source = Source(line + "\n")
    try:
        expected = _scan(source, 0)
    except InputError as exc:
        with pytest.raises(InputError) as caught:
            statement(source, 0)
        assert caught.value.message == exc.message
        return
    assert statement(source, 0) == expected


def test_parse_of_a_long_line_matches_a_short_program():
    terms = 5000
    long = parse("x = 3\nf = " + " + ".join(["x"] * terms))
    values = forward(long, {})
    assert values[long.output] == 3 * terms
    assert backward(long, values).grads[0] == terms


@pytest.mark.parametrize(
    "v, kept",
    [
        (2**MAX_EXACT_BITS - 1, True),
        (-(2**MAX_EXACT_BITS) + 1, True),
        (2**MAX_EXACT_BITS, False),
        (-(2**MAX_EXACT_BITS), False),
    ],
)
def test_the_exact_bound_is_the_bit_limit(v, kept):
    """|v| < 2**MAX_EXACT_BITS is exactly bit_length <= MAX_EXACT_BITS: the guard lost nothing."""
    assert (abs(v).bit_length() <= MAX_EXACT_BITS) == kept
    if kept:
        assert exact(v) == v
    else:
        with pytest.raises(OverflowError):  # 4097 bits is beyond any float
            exact(v)


def test_node_view_has_the_fields_of_node():
    node = parse("f = x * 2").nodes[2]
    assert isinstance(node, Node) and node.op == "mul" and node.args == (0, 1) and node.name == "f"


@pytest.mark.parametrize(
    "line", ["f = a + b * (c - 1)", "  t = tanh(x0)*w + 0.001", "g=2.5e-3**-x", "f = " + " + ".join(["a"] * 31)]
)
def test_a_short_line_is_the_scans_list_of_tokens(line):
    """A plain line of up to 64 tokens is tokenized at once: the very Tokens the scan makes, as a list."""
    source = Source(line + "\n")
    fast, scanned = statement(source, 0)[0].tokens, _scan(source, 0)[0].tokens
    assert isinstance(fast, list) and fast == scanned


def test_line_tokens_index_and_slice_as_a_list_does():
    """A longer line's token sequence reads like the scan's list: by index, from the end, in slices."""
    source = Source("f = " + " + ".join(["a"] * 40) + " + b * (c - 1)\n")
    fast, scanned = statement(source, 0)[0].tokens, _scan(source, 0)[0].tokens
    assert not isinstance(fast, list)
    assert len(fast) == len(scanned)
    assert [fast[i] for i in range(len(fast))] == scanned
    assert fast[-1] == scanned[-1] and fast[-len(fast)] == scanned[0]
    assert list(fast[2:]) == scanned[2:] and list(fast[2:][1:4]) == scanned[3:6] and fast[::2] == scanned[::2]
    with pytest.raises(IndexError):
        fast[len(fast)]
