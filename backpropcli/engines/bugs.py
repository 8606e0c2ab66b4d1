"""The classic bugs, told from a grad's number: a node judged wrong here is named as the bug its
number fits (unseeded, unreached, overwritten, stale), else as a wrong local rule of its consumer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ops import Number, magnitude
from ..render.cells import number as _num
from .nodes import close

if TYPE_CHECKING:
    from .verdicts import Verdicts

WRONG = "wrong"  # a consumer's local rule is wrong
OVERWRITTEN = "overwritten"  # a node used several times holds one contribution, not their sum
STALE = "stale"  # the true gradient from this backward() plus leftovers of earlier calls
UNREACHED = "unreached"  # a contribution never arrived: no backward rule ran for that use
UNSEEDED = "unseeded"  # the root's grad was never set to 1


def _contributions(v: Verdicts, i: int, used: list) -> list[tuple[int, Number]]:
    """(consumer, its grad as the engine has it times the true local) for each use of node i, found by
    the consumer lists, built the first time a node is judged wrong here."""
    nodes = v.nodes
    return [
        (gate, (nodes.grads[gate] or 0) * used[gate][pos]) for gate, pos in nodes.consumers[i] if used[gate] is not None
    ]


def wrong_here(v: Verdicts, i: int, g: Number, expected: Number, true: Number, used: list) -> None:
    """Name the bug when the number fits one: unseeded, unreached, overwritten, stale; else wrong.
    `expected` and `true` are node i's entries of v.expected and v.true, which have values here."""
    nodes, tol = v.nodes, v.tol
    contributions = _contributions(v, i, used)
    name = nodes.name
    if i == len(nodes.ops) - 1 and g == 0:
        v.grad[i], v.why[i] = UNSEEDED, "the root's grad is 0: backward() must set it to 1 before the loop"
        return
    if nodes.grads[i] is None or (g == 0 and expected != 0):
        what = "has no grad" if nodes.grads[i] is None else "has grad 0"
        v.grad[i], v.why[i] = UNREACHED, f"{what}, but its consumers pass it {_num(expected)}: never reached"
        return
    if len(contributions) >= 2:
        for gate, c in contributions:
            if close(g, c, tol=tol) and not close(c, expected, tol=tol):
                v.grad[i] = OVERWRITTEN
                v.why[i] = (
                    f"used {len(contributions)} times, its grad {_num(g)} is one contribution (from {name(gate)}), "
                    f"not the sum {_sum(contributions)}: `=` where `+=` belongs"
                )
                return
        for gate, c in contributions:
            if c != 0 and close(g, expected - c, tol=tol):
                v.grad[i] = UNREACHED
                v.why[i] = (
                    f"the contribution {_num(c)} from {name(gate)} never arrived (its backward rule did not run "
                    f"for this use, or the topological sort skipped {name(gate)}); should be {_sum(contributions)}"
                )
                return
    if true and _whole(g - expected, true):
        k = round((g - expected) / true)
        v.grad[i] = STALE
        v.why[i] = (
            f"grad {_num(g)} is this backward's {_num(expected)} plus {k} x the true {_num(true)} left from "
            "earlier backward() calls: grads not reset (zero_grad) between them"
        )
        return
    v.grad[i] = WRONG
    v.why[i] = _rule_text(v, i, g, contributions, used)


def _whole(ratio_top: Number, true: Number) -> bool:
    k = ratio_top / true
    return k >= 0.5 and magnitude(k - round(k)) <= 1e-6 * max(1.0, magnitude(k))


def _rule_text(v: Verdicts, i: int, g: Number, contributions: list, used: list) -> str:
    """'should be 0.5 = tanh's local rule 1 - out**2 (0.5) x grad of o (1); the engine's grad implies 0.29'."""
    nodes = v.nodes
    if len(contributions) != 1:
        return f"should be {_sum(contributions)} from its consumers' grads; the engine has {_num(g)}"
    gate, c = contributions[0]
    up = nodes.grads[gate] or 0
    pos = nodes.args[gate].index(i)
    rule = used[gate][pos]
    text = f"should be {_num(c)} = {local_text(v, gate, pos)} = {_num(rule)} x {nodes.name(gate)}'s grad {_num(up)}"
    stored = v.locals.get(gate)
    if stored is not None and stored[pos].ok is False:
        text += f"; the engine stored the local gradient {_num(stored[pos].given)}"
    elif up:
        text += f"; the engine's grad implies a local gradient of {_num(g / up)}"
    return text


def local_text(v: Verdicts, gate: int, pos: int) -> str:
    """The op's local rule for one argument, in the engine's names: 'tanh: 1 - out**2'."""
    nodes = v.nodes
    r = nodes.ops[gate]
    if r is None:
        return f"{nodes.op_text[gate]} (the engine's own local gradient)"
    templates = r.op.local_text
    args = [nodes.name(a) for a in nodes.args[gate]]
    if r.constant is not None:  # the operand the engine keeps inside its op (micrograd's `**2`)
        args.append(_num(r.constant))
    template = templates[pos if len(templates) > 1 else 0]
    return f"{r.op.name}: " + template.format(*args, out="out", i=args[pos])


def _sum(contributions: list) -> str:
    parts = [_num(c) for _, c in contributions[:6]]
    more = " + ..." if len(contributions) > 6 else ""
    total = sum(c for _, c in contributions)
    return " + ".join(parts) + more + (f" = {_num(total)}" if len(contributions) > 1 else "")


def lonely_stale(v: Verdicts, used: list) -> None:
    """A grad not reset leaves its mark on every node the earlier call reached; one node alone whose
    grad is its sum plus a whole multiple of the truth (5 where 1 is right) is a coincidence, and
    is called wrong instead."""
    stale = [i for i, verdict in enumerate(v.grad) if verdict == STALE]
    if len(stale) != 1:
        return
    i = stale[0]
    g = v.nodes.grads[i] or 0
    v.grad[i] = WRONG
    v.why[i] = _rule_text(v, i, g, _contributions(v, i, used), used)
