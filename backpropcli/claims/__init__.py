"""Claims stage: hand-written backward-pass lines and their verdicts (grade), and whether a claim's
formula is the true gradient as a function or equal only at this point (derivation)."""
