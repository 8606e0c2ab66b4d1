"""`backprop mlp` output: table, markdown and json, from one layout (rows)."""
