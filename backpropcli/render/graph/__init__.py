"""`backprop graph` output: a tree in the terminal, Graphviz dot (and svg, png through it), mermaid."""
