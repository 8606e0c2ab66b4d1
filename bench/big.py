"""The large legal inputs: four programs of about 10^6 tokens each, and one with a 500,000-character name.

python bench/big.py sum > sum.bp     # one of: sum, minus, balanced, chain, longname
"""

from __future__ import annotations

import sys

import gen

INPUTS = ("sum", "minus", "balanced", "chain")


def one_line_sum(terms: int = 1_000_000) -> str:
    """f = x + x + ... + x: one line, a fan-out of `terms` from one exact input."""
    return "x = 3\nf = " + " + ".join(["x"] * terms) + "\n"


def nested_minus(depth: int = 1_000_000) -> str:
    """f = ---...-x: unary minus nested `depth` deep, on one line."""
    return "x = 2\nf = " + "-" * depth + "x\n"


def balanced_sum(leaves: int = 262_144) -> str:
    """Named inputs, then one line adding them pairwise in parentheses: depth log2(leaves)."""
    level = [f"x{i}" for i in range(leaves)]
    while len(level) > 1:
        pairs = [f"({level[i]} + {level[i + 1]})" for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(level) - len(level) % 2 :]
    lines = [f"x{i} = {(i % 7 + 1) / 8}" for i in range(leaves)]
    return "\n".join(lines) + f"\nf = {level[0][1:-1]}\n"


def chain(statements: int = 1_000_000) -> str:
    return "".join(gen.lines(gen.program("chain", statements)))


def long_name(length: int = 500_000) -> str:
    """A program whose one input has a name of `length` characters."""
    name = "x" * length
    return f"{name} = 0.5\nf = tanh({name}) * {name}\n"


PROGRAMS = {
    "sum": one_line_sum,
    "minus": nested_minus,
    "balanced": balanced_sum,
    "chain": chain,
    "longname": long_name,
}


def tokens(text: str) -> int:
    """About how many tokens a program has: names, numbers, operators and parentheses."""
    import re

    return len(re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[0-9.]+|\*\*|[^\s]", text))


if __name__ == "__main__":
    sys.stdout.write(PROGRAMS[sys.argv[1]]())
