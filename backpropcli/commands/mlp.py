"""`backprop mlp`: backprop at network level, layer by layer, checked against the gate-level engine."""

from __future__ import annotations

import math
import sys
import textwrap
from collections.abc import Callable
from dataclasses import replace

import click
from click.core import ParameterSource

from ..errors import InputError
from ..network.datafiles import read_examples, read_weights, weights_json
from ..network.matrix import LOSSES, check_work, descend
from ..network.model import (
    DEFAULT_ACTIVATION,
    Examples,
    Network,
    one_example,
    parse_activations,
    parse_sizes,
    seeded,
    written,
)
from ..status import EXIT_FAILED, EXIT_OK
from .output import glyphs, save, tolerance, write_out

HELP_EPILOG = """\b
Layers are numbered from 1; layer l maps the units of layer l-1 (layer 0
is the input) to its own. Activations: sigmoid, tanh, relu, identity. Losses:
mse, the mean over outputs (and examples) of (a - t)**2, and bce, binary
cross-entropy averaged the same way (outputs strictly between 0 and 1).

\b
Weights: --seed N draws Glorot-uniform weights in +-sqrt(6/(fan_in+fan_out)),
rounded to hundredths, biases 0 (the default is --seed 0); --weights PATH reads
{"layers": [{"W": [[...], ...], "b": [...]}, ...]}, W with one row per unit of
the layer and one column per unit before it. Numbers you give are exact: 0.1
is 1/10, and "1/3" may be written as a string in a weights file.

\b
Examples: --input and --target for one, or --data PATH, a CSV file with a row
per example (the inputs, then the targets; # comments, blank lines and a first
row of column names are skipped). L is then the mean over the examples.

\b
Limits: 16 weight layers, 256 units per layer, 10,000 examples, 100,000
steps, 10,000,000 weight updates in all ((steps + 1) x examples x
parameters), and 200,000 weight uses (examples x weights) in the unrolled
program.

\b
Exit status: 0 the layer formulas agree with the node-level engine on every
quantity, 1 some quantity differs, 2 bad input or usage."""


def _table(study, g):
    from ..render.mlp.table import render

    return render(study, g)


def _json(study, g):
    from ..render.mlp.json import render

    return render(study)


def _markdown(study, g):
    from ..render.mlp.markdown import render

    return render(study, g)


# Each returns a rich renderable (table) or the whole document as a str (json, markdown).
RENDERERS: dict[str, Callable] = {"table": _table, "json": _json, "markdown": _markdown}


@click.command("mlp", epilog=HELP_EPILOG)
@click.option(
    "--layers", "sizes_text", required=True, metavar="N,N,...", help="Units per layer, the inputs first: 2,3,1."
)
@click.option(
    "--activation",
    default=DEFAULT_ACTIVATION,
    show_default=True,
    metavar="NAME[,NAME...]",
    help="One for every layer, or one per weight layer: relu,sigmoid.",
)
@click.option(
    "--loss",
    "loss_name",
    type=click.Choice(tuple(LOSSES)),
    default=next(iter(LOSSES)),
    show_default=True,
    help="Mean squared error or binary cross-entropy.",
)
@click.option("--seed", type=int, help="Seed for the initial weights (default 0).")
@click.option("--weights", "weights_path", metavar="PATH", help="Read the weights from a JSON file.")
@click.option("--input", "input_text", metavar="X,X,...", help="One example's inputs.")
@click.option("--target", "target_text", metavar="T,T,...", help="That example's targets.")
@click.option("--data", "data_path", metavar="PATH", help="Examples from a CSV file: inputs, then targets.")
@click.option(
    "--lr",
    type=float,
    default=0.1,
    show_default=True,
    help="Learning rate of gradient descent (with --steps; up to 1e6).",
)
@click.option("--steps", type=int, default=0, show_default=True, help="Steps of gradient descent (0: none).")
@click.option(
    "--emit",
    "emit_path",
    metavar="PATH",
    help="Write the network unrolled to a scalar program, with its backward pass as claims "
    "('-': to stdout, instead of the report).",
)
@click.option(
    "--weights-out",
    "weights_out",
    metavar="PATH",
    help="Write the weights (after gradient descent, if any) as a JSON weights file ('-': to stdout, "
    "instead of the report).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(tuple(RENDERERS)),
    default="table",
    show_default=True,
    help="table (rich), json (schema backprop.mlp v1) or markdown (for course notes).",
)
@click.option(
    "--tol",
    type=float,
    default=1e-9,
    show_default=True,
    help="Relative tolerance when comparing floats of the two routes (exact values compare exactly).",
)
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def mlp_command(
    sizes_text: str,
    activation: str,
    loss_name: str,
    seed: int | None,
    weights_path: str | None,
    input_text: str | None,
    target_text: str | None,
    data_path: str | None,
    lr: float,
    steps: int,
    emit_path: str | None,
    weights_out: str | None,
    fmt: str,
    tol: float,
    debug: bool,
) -> None:
    """Backprop through a small MLP layer by layer, checked against the gates.

    Builds the network, runs the forward pass, and shows per layer the pre-activations z, the
    activations a, the deltas dL/dz, and the gradients dL/dW and dL/db, computed with the matrix
    formulas AND by the gate-level engine on the same network unrolled to scalars; a check column
    says where the two agree.

    \b
      backprop mlp --layers 2,3,1 --input 0.5,-1.2 --target 1 --seed 0
      backprop mlp --layers 2,2,1 --weights samples/mlp_221.json --input 1,0 --target 1 --lr 0.5 --steps 20
      backprop mlp --layers 2,2,1 --data samples/xor.csv --activation tanh,sigmoid --loss bce --steps 500
      backprop mlp --layers 2,3,1 --input 0.5,-1.2 --target 1 --emit mlp.bp && backprop check mlp.bp
    """
    from ..network.study import study  # the gate-level engine: loaded when a network runs, not for --help
    from ..network.unroll import program

    lr_given = click.get_current_context().get_parameter_source("lr") is not ParameterSource.DEFAULT
    _check_options(
        tol, lr, seed, weights_path, input_text, target_text, data_path, emit_path, weights_out, steps, lr_given
    )
    sizes = parse_sizes(sizes_text)
    activations = parse_activations(activation, len(sizes) - 1)
    examples = _examples(sizes, input_text, target_text, data_path)
    network = _network(sizes, activations, weights_path, seed)
    loss = LOSSES[loss_name]
    if steps:
        check_work(network, examples, steps)  # before the slow part, not after it
    result = study(network, examples, loss, tol)
    if steps:
        result = replace(result, descent=descend(network, examples, loss, lr, steps))
    if emit_path is not None:
        header = _header(result, weights_path is None, data_path is None, seed)
        save(program(network, examples, loss, result.matrix, header).encode(), emit_path)
    if weights_out is not None:
        save(weights_json(result.descent.network if result.descent else network).encode(), weights_out)
    if "-" not in (emit_path, weights_out):
        write_out([RENDERERS[fmt](result, glyphs())])
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


def _check_options(
    tol: float,
    lr: float,
    seed: int | None,
    weights: str | None,
    inputs: str | None,
    targets: str | None,
    data: str | None,
    emit: str | None,
    weights_out: str | None,
    steps: int,
    lr_given: bool,
) -> None:
    tolerance(tol)
    if not (math.isfinite(lr) and 0 < lr <= 1e6):
        raise InputError("--lr takes a positive number up to 1e6")
    if seed is not None and weights is not None:
        raise InputError("give --seed or --weights, not both")
    if seed is not None and seed < 0:  # random.Random(-5) is random.Random(5): refuse rather than alias
        raise InputError(f"--seed takes a whole number from 0 up, not {seed}")
    if weights == "-" and data == "-":
        raise InputError("--weights and --data cannot both read stdin ('-')")
    if emit == "-" and weights_out == "-":
        raise InputError("--emit and --weights-out cannot both write to stdout ('-')")
    if lr_given and not steps:
        raise InputError("--lr is the step size of gradient descent: give --steps N too")
    if data is not None and (inputs is not None or targets is not None):
        raise InputError("give --data, or --input and --target, not both")
    if data is None and (inputs is None or targets is None):
        raise InputError("give the examples: --input and --target for one, or --data PATH for a CSV file")


def _examples(sizes: tuple[int, ...], inputs: str | None, targets: str | None, data: str | None) -> Examples:
    if data is not None:
        return read_examples(data, sizes)
    if inputs is None or targets is None:  # the options were checked first: one of the two is given
        raise ValueError("neither --data nor both --input and --target")
    return one_example(inputs, targets, sizes)


def _network(sizes: tuple[int, ...], activations: tuple[str, ...], weights: str | None, seed: int | None) -> Network:
    if weights is not None:
        return read_weights(weights, sizes, activations)
    return seeded(sizes, activations, 0 if seed is None else seed)


def _header(result, from_seed: bool, one: bool, seed: int | None) -> tuple[str, ...]:
    """How the program was made: the options, with files named only as such (paths and times would
    make the same network's program differ between runs and machines)."""
    net, ex = result.network, result.examples
    options = [
        f"--layers {','.join(map(str, net.sizes))}",
        f"--activation {','.join(net.activations)}",
        f"--loss {result.loss.name}",
        f"--seed {0 if seed is None else seed}" if from_seed else "--weights FILE",
    ]
    if one:
        options += [
            f"--input {','.join(map(written, ex.inputs[0]))}",
            f"--target {','.join(map(written, ex.targets[0]))}",
        ]
    else:
        options.append(f"--data FILE ({ex.count} examples)")
    names = (
        "Names: x<k> input k, t<j> target j; w<l>_<j>_<k> the weight from unit k of layer l-1 to unit j of "
        "layer l, b<l>_<j> its bias; z<l>_<j> and a<l>_<j> unit j of layer l before and after its activation"
        + ("; _e<n> marks example n" if ex.count > 1 else "")
        + ". The claims dLd<name> = ... are the "
        "backward pass written from the layer formulas: backprop eval and backprop check grade them."
    )
    return (
        f"A {net.shape} network unrolled to scalars by",
        f"  backprop mlp {' '.join(options)}",
        *textwrap.wrap(names, 96),
    )
