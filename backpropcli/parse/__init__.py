"""Parse stage: text -> Graph. The lexer cuts statements into tokens, syntax builds one expression's
gates by operator precedence, claimlines reads hand-written backward-pass lines, program puts a
whole program together; bindings and inputs read what the command line and files give."""

from .program import parse

__all__ = ["parse"]
