"""Network stage: the layer-level view of `backprop mlp`. The network and its examples (model), the
layer formulas (matrix), the same network unrolled to a scalar program (unroll), both routes compared
(study), and the files it reads and writes (datafiles)."""
