"""The parser: the one-line fast path agrees with the token path, layout and encodings, limits, and
the number grammar. Messages for bad input are in test_hostile.py."""

from __future__ import annotations

import re
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backpropcli.parse.lexer
import backpropcli.parse.program
import backpropcli.parse.syntax
from backpropcli.errors import BackpropError, InputError, LimitError, Source
from backpropcli.graph import CONST, INPUT
from backpropcli.ops import BINARY, FUNCTIONS, OPS, accepts
from backpropcli.parse import parse
from backpropcli.parse.lexer import MAX_DIGITS, number
from backpropcli.parse.syntax import MAX_DEPTH


def shape(text: str, **kwargs) -> list[tuple]:
    """The graph without source spans: what a program means, not where it was written."""
    return [(n.op, n.args, n.name, n.value) for n in parse(text, **kwargs).nodes]


def error(text: str, **kwargs) -> BackpropError:
    with pytest.raises(BackpropError) as caught:
        parse(text, **kwargs)
    return caught.value


UNARY_CALLS = sorted(name for name, op in FUNCTIONS.items() if accepts(op, 1))
SYMBOLS = sorted(BINARY)


@pytest.mark.parametrize(
    "line",
    [f"t = {fn}(x)" for fn in UNARY_CALLS]
    + [f"t = x {sym} w" for sym in SYMBOLS]
    + ["t = x", "t = 2.5e-3", "t = x * 0.5", "t = 3 * x", "t = x ** 2"],
)
def test_fast_path_and_token_path_build_the_same_graph(line):
    """`t = a op b` lines skip the tokenizer; wrapping the right side in parentheses forces the token path."""
    program = "x = 0.5\nw = 2\n{}\nf = t * w\n"
    target, rhs = line.split(" = ")
    assert shape(program.format(line)) == shape(program.format(f"{target} = ({rhs})"))


@pytest.mark.parametrize(
    "line", ["t = 7", "t = -2", "t = - 0.75", "t = .5", "t = 1e-3", "t = 0", "t = -0.0", "t = 12345678901234567890"]
)
def test_an_input_line_makes_the_same_leaf_on_both_paths(line):
    """An input is one leaf on the fast path; a trailing backslash sends the same line the token way."""
    fast = parse(f"{line}\nf = t * 2\n").nodes[0]
    slow = parse(f"{line} \\\n\nf = t * 2\n").nodes[0]
    assert fast == slow and fast.op == "input" and fast.name == "t"
    assert repr(fast.value) == repr(slow.value)  # -0.0 stays -0.0


@pytest.mark.parametrize(
    "layout",
    [
        "x = 3\ny = x * x\n",
        "x = 3\r\ny = x * x\r\n",  # CRLF
        "x = 3\ry = x * x\r",  # old Mac line ends
        "\ufeffx = 3\ny = x * x",  # a BOM, no final newline
        "x = 3; y = x * x",
        "x = 3;; ;\n\n\ny = x * x;",  # empty statements
        "\tx\t=\t3\n\ty = x*x\t",  # tabs, and a tab at the very end
        "x = 3   \ny = x * x   ",  # trailing blanks at the very end
        "x = 3 \f\ny = x * x",  # form feed
        "x = 3  # caf\u00e9 \u202e comment\ny = x * x  # \U0001f600",  # any UTF-8 inside comments
        "x = 3\ny = (x\n     * x)\n",  # a statement continued inside parentheses
        "x = 3\ny = x * \\\n    x\n",  # a backslash continuation
        "x = 3\ny = x * x \\",  # a backslash at the very end continues nothing and is harmless
    ],
)
def test_layouts_mean_the_same_program(layout):
    assert shape(layout) == shape("x = 3\ny = x * x\n")


def test_error_positions_count_characters_on_the_right_line():
    err = error("x = 1\r\n# caf\u00e9\r\ny = x $ 2\r\n")
    assert (err.where.line, err.where.col) == (3, 7)
    assert err.render().splitlines()[2] == "        ^"


def test_error_after_tabs_points_at_the_character():
    err = error("f =\tx\t$ 2")
    assert (err.where.line, err.where.col) == (1, 7)


def test_keywords_are_reported_where_they_start_before_later_errors():
    err = error("lambda x: x")
    assert err.message == "lambda is not allowed" and err.where.col == 1


def test_self_reference_on_both_paths():
    assert "a is used in its own definition" in error("a = a * 2").message
    assert "a is used in its own definition" in error("a = (a * 2)").message
    assert "a is used in its own definition" in error("a = exp(a)").message


def test_a_name_redefined_on_the_fast_path_is_still_caught():
    assert "w is defined twice" in error("w = 1\nw = 2\nf = w * x").message


def test_trailing_blank_after_an_expression_is_accepted():
    assert shape("x * y ") == shape("x * y")
    assert shape("x * y\t") == shape("x * y")


def test_empty_and_comment_only_inputs_say_so():
    assert error("").message == "the input is empty"
    assert error(" \n\t \r\n", path="p.bp").message == "the input is empty (p.bp)"
    assert "only comments and blank lines" in error("# nothing\n\n   # here").message


def test_nesting_up_to_the_limit_works_and_one_more_does_not():
    deep = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert shape(deep) == shape("x")
    err = error("(" + deep + ")")
    assert isinstance(err, LimitError) and f"limit of {MAX_DEPTH}" in err.message


def test_long_unary_chains_and_sums_need_no_recursion():
    graph = parse("-" * 50_000 + "x")
    assert len(graph.nodes) == 50_001  # the input and one neg per sign: no stack depth involved
    terms = parse(" + ".join(["x"] * 50_000))
    assert len(terms.nodes) == 50_000


def columns(graph) -> tuple:
    c = graph.columns
    return (c.ops, list(c.arg0), list(c.arg1), c.names, c.given, list(c.starts), list(c.ends))


def test_a_flat_line_by_hand():
    # "x = 3" is offsets 0-5; line 2: f at 6, x 10-11, x 14-15, 2 18-19, x 22-23
    assert columns(parse("x = 3\nf = x + x - 2 + x\n")) == (
        ["input", "add", "const", "sub", "add"],
        [-1, 0, -1, 1, 3],
        [-1, 0, -1, 2, 0],
        ["x", None, None, None, "f"],
        [3, None, 2, None, None],
        [0, 10, 18, 10, 10],  # each gate spans from the line's first operand to its own right operand
        [1, 15, 19, 19, 23],
    )
    # every operand a defined name: the run of gates is made in one go, the same columns
    assert columns(parse("x = 3\nf = x * x / x\n")) == (
        ["input", "mul", "div"],
        [-1, 0, 1],
        [-1, 0, 0],
        ["x", None, "f"],
        [3, None, None],
        [0, 10, 10],
        [1, 15, 19],
    )


def test_a_flat_line_is_taken_in_one_loop(monkeypatch):
    """The one-loop path does take such lines of more than 64 tokens (the property below holds
    either way): over defined names the gates are made without a call each; otherwise one call per
    gate, and no stacks. A shorter line is read by the stacks, whose cost is small there."""
    monkeypatch.setattr(backpropcli.parse.syntax.Builder, "binary", None)  # a call per gate would fail
    ops = columns(parse("x = 3\nf = " + " - ".join(["x"] * 40) + " + x\n"))[0]
    assert ops == ["input"] + ["sub"] * 39 + ["add"]
    monkeypatch.undo()
    monkeypatch.setattr(backpropcli.parse.syntax, "_reduce", None)  # so would the stacks
    ops = columns(parse("f = " + " * ".join(["x", "2"] * 20) + " / y % 3\n"))[0]
    assert (ops.count("mul"), ops.count("const"), ops[-4:]) == (39, 21, ["input", "div", "const", "mod"])


# plain operands (names defined or not, numbers, pi and e); a spoiler sends the line elsewhere or to an error
PLAIN = ("a", "b", "u", "v", "2", "3", "0.5", "0", "007", "pi", "e")
SPOILERS = ("1e999", "sin", "-a", "(b)", "f", "a(", "2 2")


def _built(text: str):
    try:
        return columns(parse(text))
    except BackpropError as exc:
        return exc.render()  # the message, where and the caret


def _as_the_stacks_build(text: str, module, path: str, off) -> None:
    """The oracle of a fast path: the same text built with the path turned off (`module.path` set to
    `off`), through the precedence loop and its stacks, gives the same columns or the same error."""
    fast = _built(text)
    with patch.object(module, path, off):
        stacks = _built(text)
    assert fast == stacks


# the symbols of one line: one precedence (taken in one loop) or all of them (mostly the stacks)
PALETTES = (("+", "-"), ("*", "/", "%"), ("**", "^"), tuple(sorted(BINARY)))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([("a", "b"), PLAIN]).flatmap(
        lambda pool: st.lists(st.sampled_from(pool), min_size=33, max_size=41)
    ),
    st.sampled_from(PALETTES).flatmap(lambda palette: st.lists(st.sampled_from(palette), min_size=40, max_size=40)),
    st.one_of(st.none(), st.tuples(st.integers(0, 32), st.sampled_from(SPOILERS))),
    st.booleans(),
)
def test_a_flat_line_builds_what_the_stacks_build(operands, symbols, spoiler, defined):
    """A line of more than 64 tokens, operands joined by infix operators of one precedence, is made in
    one loop (in one go where every operand is a defined name); the oracle is the general path with its
    stacks, forced for the same text: the same columns, or the same error at the same place."""
    if spoiler is not None:
        operands[spoiler[0]] = spoiler[1]
    head = "a = 1.5\nb = -2\n" if defined else ""
    joined = [*symbols[: len(operands) - 1], ""]  # an operator between each two operands, none after the last
    text = head + "f = " + " ".join(p for w, s in zip(operands, joined, strict=True) for p in (w, s)).strip()
    _as_the_stacks_build(text, backpropcli.parse.syntax, "_flat", lambda *args: None)


@pytest.mark.parametrize(
    "text",
    [
        "f = " + " + ".join(["x"] * 200),  # two-argument gates of one long line
        "x = 1\nf = " + " + ".join(["x"] * 200),  # a run of gates over defined names, made at once
        "f = " + "-" * 200 + "x",  # one-argument gates of one long line
        "t0 = x\n" + "".join(f"t{k} = t{k - 1} * 2\n" for k in range(1, 200)),  # one gate per line
        "t0 = x\n" + "".join(f"t{k} = sin(t{k - 1})\n" for k in range(1, 200)),
    ],
)
def test_node_limit(monkeypatch, text):
    monkeypatch.setattr(backpropcli.parse.syntax, "MAX_NODES", 100)
    err = error(text)
    assert isinstance(err, LimitError) and "exceeds the limit of 100 nodes" in err.message


def test_input_size_limit(monkeypatch):
    monkeypatch.setattr(backpropcli.parse.program, "MAX_INPUT_CHARS", 10)
    err = error("f = x * y + z")
    assert isinstance(err, LimitError) and "larger than the limit" in err.message


def test_constants_folded_and_inputs_named():
    nodes = parse("w = 2 * 3 + 1\nf = w * x").nodes
    assert (nodes[0].op, nodes[0].name, nodes[0].value) == (INPUT, "w", 7)
    assert not any(n.op == CONST for n in nodes)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("42", 42),
        ("007", 7),
        ("2.5", 2.5),
        ("1.", 1.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2.5E-3", 0.0025),
        ("1e308", 1e308),
        ("5e-324", 5e-324),
        ("0e-999", 0.0),
        ("0.000", 0.0),
        ("9" * MAX_DIGITS, int("9" * MAX_DIGITS)),
    ],
)
def test_number_grammar_values(text, value):
    got = number(text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1e999", "too large for a float"),
        ("1e-999", "too small for a float (it would round to 0)"),
        ("9" * (MAX_DIGITS + 1), f"longer than {MAX_DIGITS} characters"),
        ("\u0663", "not an ASCII number"),
        ("\uff15", "not an ASCII number"),
    ],
)
def test_number_grammar_rejections(text, says):
    with pytest.raises(ValueError, match=r".") as caught:
        number(text)
    assert says in str(caught.value)


def test_every_op_is_reachable_from_text():
    """Each row of the op table has syntax the parser accepts (a symbol or a call)."""
    for name, op in OPS.items():
        if op.functions:
            args = ", ".join(["x"] * max(op.arity[0], 1))
            text = f"{op.functions[0]}({args})"
        elif op.arity == (1, 1):
            text = f"{op.symbols[0]}x"
        else:
            text = f"x {op.symbols[0]} y"
        assert name in {n.op for n in parse(text).nodes}, text


def test_input_errors_are_input_errors():
    assert isinstance(error("x $ y"), InputError)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="ab\n\r", max_size=40), offsets=st.lists(st.integers(0, 45), max_size=30))
def test_line_cols_of_many_offsets_equal_line_col_of_each(text, offsets):
    """The streaming form JSON output uses for every node, in any order of offsets."""
    source = Source(text)
    offsets = [min(o, len(text)) for o in offsets]
    assert list(source.line_cols(offsets)) == [source.line_col(o) for o in offsets]


TWO_OPERANDS = ("a", "b", "u", "2", "0.5", "0", "007", "1e999", "pi", "sin", "if", "t")
HEADS = ("", "a = 1.5\nb = -2\n", "a = 1.5\nb = -2\nf = a * b\n")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(TWO_OPERANDS), min_size=3, max_size=3),
    st.lists(st.sampled_from(sorted(BINARY)), min_size=2, max_size=2),
    st.sampled_from(("t", "f", "a", "dfda", "da", "sin", "if")),
    st.sampled_from(HEADS),
    st.sampled_from(("", "  # a note", "; g = t", "\nz = t * 2")),
)
def test_a_line_of_two_operators_builds_what_the_stacks_build(operands, symbols, target, head, tail):
    """`t = a op b op c` is read from one regex match; the oracle is the precedence loop, forced for
    the same text: the same columns (the grouping, the spans, the names), or the same error at the
    same place. Claim-like targets, names taken, functions and keywords go the long way."""
    x, y, z = operands
    text = f"{head}{target} = {x} {symbols[0]} {y} {symbols[1]} {z}{tail}\n"
    _as_the_stacks_build(text, backpropcli.parse.lexer, "TWO_OPS", re.compile(r"(?!)"))


def test_a_line_of_two_operators_by_hand():
    # "w = 3" is 0-5; line 2: t at 6, a 10, 2 14, w 18 (all one character): a * 2 first, then + w;
    # then a + 2 * w: 2 * w first (it binds tighter), then a + it
    c = columns(parse("w = 3\nt = a * 2 + w\n"))
    assert c[:3] == (["input", "input", "const", "mul", "add"], [-1, -1, -1, 1, 3], [-1, -1, -1, 2, 0])
    assert (c[5][3:], c[6][3:]) == ([10, 10], [15, 19])
    c = columns(parse("w = 3\nt = a + 2 * w\n"))
    assert c[:3] == (["input", "input", "const", "mul", "add"], [-1, -1, -1, 2, 1], [-1, -1, -1, 0, 3])
    assert (c[5][3:], c[6][3:]) == ([14, 10], [19, 19])
    assert c[3][-1] == "t"


CALLS = ("tanh", "sin", "exp", "log", "max", "sign", "foo", "sqrt")


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(TWO_OPERANDS), min_size=2, max_size=2),
    st.sampled_from(sorted(BINARY)),
    st.sampled_from(CALLS),
    st.booleans(),
    st.sampled_from(("t", "f", "a", "dfda", "da", "sin", "if")),
    st.sampled_from(HEADS),
    st.sampled_from(("", "  # a note", "; g = t", "\nz = t * 2")),
)
def test_a_call_beside_an_operator_builds_what_the_stacks_build(operands, symbol, fn, call_first, target, head, tail):
    """`t = fn(a) op b` and `t = a op fn(b)` are read from one regex match; the oracle is the
    precedence loop, forced for the same text: the same columns, or the same error at the same place.
    A function of no single argument (max of one is fine; foo is none), a name taken and the rest go
    the long way."""
    x, y = operands
    rhs = f"{fn}({x}) {symbol} {y}" if call_first else f"{x} {symbol} {fn}( {y} )"
    text = f"{head}{target} = {rhs}{tail}\n"
    _as_the_stacks_build(text, backpropcli.parse.lexer, "CALL_OP", re.compile(r"(?!)"))


def test_a_call_beside_an_operator_by_hand():
    # "w = 3" is 0-5; line 2: t at 6, tanh 10-14, a 15, ) 16-17, w 20: the call's gate spans tanh(a)
    c = columns(parse("w = 3\nt = tanh(a) * w\n"))
    assert c[:3] == (["input", "input", "tanh", "mul"], [-1, -1, 1, 2], [-1, -1, -1, 0])
    assert (c[5][2:], c[6][2:]) == ([10, 10], [17, 21])
    # w * tanh(a): the operand first (w, known), then a, then the call, then the product
    c = columns(parse("w = 3\nt = w * tanh(a)\n"))
    assert c[:3] == (["input", "input", "tanh", "mul"], [-1, -1, 1, 0], [-1, -1, -1, 2])
    assert (c[5][2:], c[6][2:]) == ([14, 10], [21, 21])
