"""`backprop check` output: table, json, github and junit, from one vocabulary (rows)."""
