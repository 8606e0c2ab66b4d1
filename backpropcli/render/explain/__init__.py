"""`backprop explain` output: text, markdown, latex and the lecture's pseudo-code."""
