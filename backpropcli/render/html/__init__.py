"""`--format html`: one self-contained page that steps through the forward and backward pass."""
