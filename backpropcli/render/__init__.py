"""Render stage: results become text. One folder per command's output formats (eval/, check/,
explain/, graph/, mlp/); cells.py is the vocabulary they share and fit.py fits tables to a terminal."""
