"""`backprop mlp --format json`: schema `backprop.mlp` version 1 (backpropcli/schema/mlp.schema.json).

Numbers are encoded as in `backprop eval`'s JSON: each value as a JSON number (an exact fraction as
its nearest float) and, beside it under the same key with `_text`, as text that keeps it exact.
"""

from __future__ import annotations

import json

from ...network.matrix import Descent
from ...network.model import Network
from ...network.study import Study
from ...ops import show
from ..cells import json_number

SCHEMA = "backprop.mlp"
VERSION = 1


def render(study: Study) -> str:
    net, ex = study.network, study.examples
    passed, failed = study.counts()
    document = {
        "schema": SCHEMA,
        "version": VERSION,
        "sizes": list(net.sizes),
        "activations": list(net.activations),
        "loss_function": study.loss.name,
        "examples": ex.count,
        **_pair("x", ex.inputs),
        **_pair("t", ex.targets),
        **_pair("loss", study.matrix.loss),
        "layers": [_layer(net, layer, values) for layer, values in enumerate(study.matrix.layers, 1)],
        "checks": {
            "passed": passed,
            "failed": failed,
            "tol": study.tol,
            "disagreements": [
                {"name": a.name, **_pair("matrix", a.matrix), **_pair("node", a.node)}
                for a in study.agreements
                if not a.ok
            ],
        },
        "training": None if study.descent is None else _training(study.descent),
    }
    return _dumps(document)


def _dumps(document: dict) -> str:
    """One key per line, and each object of a list of objects (the layers) on a line of its own."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            inner = ",\n".join(map(json.dumps, value))
            lines.append(f"{json.dumps(key)}: [\n{inner}]")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def _pair(key: str, value) -> dict:
    """key: the value as JSON numbers; key_text: the same as exact text (nested lists alike)."""
    return {key: _map(value, json_number), f"{key}_text": _map(value, show)}


def _map(value, convert):
    if isinstance(value, tuple | list):
        return [_map(v, convert) for v in value]
    return convert(value)


def _layer(net: Network, layer: int, values) -> dict:
    return {
        "layer": layer,
        "inputs": net.sizes[layer - 1],
        "units": net.sizes[layer],
        "activation": net.activations[layer - 1],
        **_pair("W", net.weights[layer - 1]),
        **_pair("b", net.biases[layer - 1]),
        **_pair("z", values.z),
        **_pair("a", values.a),
        **_pair("delta", values.delta),
        **_pair("dW", values.dW),
        **_pair("db", values.db),
    }


def _training(descent: Descent) -> dict:
    final: Network = descent.network
    return {
        "lr": descent.lr,
        "steps": len(descent.losses) - 1,
        "losses": list(descent.losses),
        "final_loss": descent.losses[-1],
        "layers": [
            {"W": _map(w, json_number), "b": _map(b, json_number)}
            for w, b in zip(final.weights, final.biases, strict=True)
        ],
    }
