"""Claims stage, part two: is a claim's formula the true gradient as a function, or equal only here?

A formula that matches the true gradient at this point only is a coincidence, not a derivation.
After substituting the forward definitions and the true gradients of the earlier claims it uses,
sympy decides when the graph is small: the true gradients are sympy's derivative of each op,
chained over the graph's edges, and the formula must be the same expression up to sympy's
automatic normalisation (never simplify(), which has no time bound). Otherwise, and whenever
sympy cannot show the identity, the formula and the true gradient are compared at a few points
near this one, as derivative calculators do. Those points are computed by the engine's own forward
and backward passes: exact where the inputs are exact, linear in the graph, and on the same side
of every kink.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from ..autodiff import Backward, accumulate, forward, magnitudes, rounding_scale
from ..crosscheck import agree, expanded
from ..errors import BackpropError, EvalError
from ..graph import CONST, INPUT, Claim, Graph, Node
from ..ops import OPS, Number, exact
from .partial import backward_or_partial

SAMPLES = 4  # nearby points a formula must match
TRIES = 6  # ever closer attempts at each sample before giving it up
SPREAD = Fraction(1, 100)  # a first sample moves each input by up to 1% (of max(1, |value|))
SEED = 27  # fixed: the same file always meets the same points, so the output is reproducible
KINK_STEP = Fraction(1, 10**12)  # how far beside a kink its one-sided derivatives are taken
SYMBOLIC_SIZE_CAP = 300  # expression tree size (shared nodes written out) beyond which sympy is not asked
SYMBOLIC_DEPTH_CAP = 60  # sympy recurses over depth, and its products flatten in time super-linear in it


@dataclass(frozen=True)
class Finding:
    same: bool | None  # None: no point near this one could be evaluated
    how: str  # sympy | sampled | value
    witness: str = ""  # for a coincidence: a nearby point where the two differ


@dataclass(frozen=True)
class Sample:
    point: tuple[tuple[str, Number], ...]  # every input as (name, value), in definition order
    values: tuple[Number, ...]
    grads: dict[int, tuple[Number, ...]]  # d of / d node, for every `of` a claim differentiates


def rooted(graph: Graph, of: int) -> Graph:
    """The same nodes with `of` as the output: its backward pass gives d of / d node, a local gradient."""
    return graph if of == graph.output else Graph(graph.nodes, of, graph.source)


def backs(graph: Graph, values, back: Backward, reason: str = "") -> tuple[dict[int, Backward], dict[int, str]]:
    """The backward pass from every node a claim differentiates (the output's is `back`), and for each
    where some gradient does not exist, why (partial.py)."""
    found, reasons = {graph.output: back}, {graph.output: reason}
    for claim in graph.claims:
        if claim.of not in found:
            found[claim.of], reasons[claim.of] = backward_or_partial(rooted(graph, claim.of), values)
    return found, reasons


def refs(claim: Claim) -> tuple[str, ...]:
    """The names a claim's formula reads: forward names and earlier claims, each once."""
    names: list[str] = []
    for node in claim.graph.nodes:
        if node.op == INPUT:
            if node.name is None:
                raise ValueError("an input of a claim's formula has no name")  # pragma: no mutate
            names.append(node.name)
    return tuple(names)


def evaluate(graph: Graph, claim: Claim, values, earlier: Mapping[str, Number | None]) -> tuple[Number, float]:
    """The claim's formula with forward names at `values` and earlier claims taken from `earlier`, and
    the scale of its rounding error there (autodiff.rounding_scale)."""
    point: dict[str, Number] = {}
    for name in refs(claim):
        if name in earlier:
            given = earlier[name]
            if given is None:
                raise EvalError(f"it uses {name}, which has no value")
            if given != given:  # nan: the true value of a claim whose gradient does not exist (partial.py)
                raise EvalError(f"it uses {name}, a gradient that does not exist here")
            point[name] = given
        else:
            point[name] = values[graph.ids[name]]
    found = forward(claim.graph, point)
    return found[claim.graph.output], rounding_scale(claim.graph, found)


def one_sided(graph: Graph, values, node: int, sign: int) -> Number | None:
    """d out/d node from one side of the point: the limit, exact where the point is.

    The node is cut loose as an input and nudged by a tiny step only to see which branch every kink
    op (relu, abs, max, min) takes on that side; their slopes are constant along a branch, so the
    one-sided derivative is the chain rule at the point itself with those slopes. None where the
    function is not differentiable from that side (sqrt just left of 0, or at 0 itself). A slope
    missing elsewhere (d/dn of x**n at x < 0) leaves it as the partial backward pass leaves the
    gradients: only where it is needed is there no one-sided derivative.
    """
    nodes = list(graph.nodes)
    old = nodes[node]
    nodes[node] = Node(INPUT, (), old.name, None, old.start, old.end)
    cut = Graph(tuple(nodes), graph.output, graph.source)
    here = {graph.nodes[i].name: values[i] for i in graph.inputs}
    here[old.name] = values[node]
    beside = dict(here)
    beside[old.name] = _moved(values[node], sign * KINK_STEP)
    try:
        slopes = backward_or_partial(cut, forward(cut, beside))[0].partials
        partials = list(backward_or_partial(cut, forward(cut, here))[0].partials)
    except BackpropError:
        return None
    for gate, taken in enumerate(slopes):
        if taken is not None and OPS[cut.nodes[gate].op].kink is not None:
            partials[gate] = taken
    found = accumulate(cut, partials)[node]
    return None if found != found else found  # nan: it needs a slope that does not exist


def branches(graph: Graph, values, back, gate: int, positions: tuple[int, ...]) -> list[tuple[Number, ...]] | None:
    """The gate's local partials just beside its kink, one vector per branch (two for one argument at a
    kink, up to two per argument of a tie); their convex hull is the gate's subgradients. None where
    fewer than two are found."""
    node = graph.nodes[gate]
    args = [values[a] for a in node.args]
    here = back.partials[gate]
    found: list[tuple[Number, ...]] = []
    for pos in positions:
        for sign in (-1, 1):
            moved = list(args)
            size = abs(Fraction(args[pos]))
            step = KINK_STEP * (size if size > 1 else 1)  # max(1, |x|)
            moved[pos] = args[pos] + (float(step) if type(args[pos]) is float else step) * sign
            op = OPS[node.op]
            beside = op.partials(tuple(moved), op.forward(*moved))
            # only the arguments at the kink change branch; the others keep their slope at the point
            slopes = tuple(beside[p] if p in positions else here[p] for p in range(len(args)))
            if slopes not in found:
                found.append(slopes)
    return found if len(found) >= 2 else None


def _moved(v: Number, step: Fraction) -> Number:
    """v + step * max(1, |v|), exact where v is."""
    size = abs(Fraction(v))
    delta = step * (size if size > 1 else 1)  # max(1, |v|)
    return v + float(delta) if type(v) is float else exact(v + delta)


@dataclass(frozen=True)
class Neighbourhood:
    """One graph at one point, and what its claims must agree with around it."""

    graph: Graph
    values: tuple[Number, ...]
    backs: dict[int, Backward]  # by the node differentiated: the output, and each local gradient's gate
    tol: float
    symbolic: bool  # may sympy be imported and asked?
    reasons: dict[int, str] = field(default_factory=dict)  # by the node differentiated: why a gradient is missing

    @property
    def back(self) -> Backward:
        return self.backs[self.graph.output]

    @cached_property
    def sizes(self) -> dict[int, list[float]]:
        """The scale of each gradient's terms here (autodiff.magnitudes): nearby points share it."""
        return {of: magnitudes(rooted(self.graph, of), back) for of, back in self.backs.items()}

    def close(self, value: Number, true: Number, scale: float, node: int, of: int) -> bool:
        """A formula's value against d of / d node: within tol, or within the rounding of either side
        (the formula's own `scale`, the gradient's terms)."""
        return agree(value, true, self.tol, max(scale, self.sizes[of][node]))

    @cached_property
    def claims(self) -> dict[str, Claim]:
        return {claim.name: claim for claim in self.graph.claims}

    def compare(self, claim: Claim) -> Finding:
        """Is the formula, with true gradients for the claims it uses, the true gradient near here?"""
        if self.symbolic and self._sympy is not None and self._sympy.same(claim, self.claims):
            return Finding(True, "sympy")
        seen = 0
        for sample, earlier in zip(self.samples, self._true_claims, strict=True):
            truth = sample.grads[claim.of][claim.wrt]
            if truth != truth:  # nan: no true gradient at this sample (a jump, a missing slope)
                continue  # no evidence either way
            try:
                mine, scale = evaluate(self.graph, claim, sample.values, earlier)
            except BackpropError:
                continue  # undefined there: no evidence either way
            seen += 1
            if not self.close(mine, truth, scale, claim.wrt, claim.of):
                return Finding(False, "sampled", _witness(sample, mine, truth))
        return Finding(True, "sampled") if seen else Finding(None, "value")

    @cached_property
    def _true_claims(self) -> tuple[dict[str, Number], ...]:
        """At each sample, every claim's true value: what a formula's references to claims mean there."""
        return tuple({name: s.grads[c.of][c.wrt] for name, c in self.claims.items()} for s in self.samples)

    @cached_property
    def samples(self) -> tuple[Sample, ...]:
        """SAMPLES points near this one, moving closer whenever a try leaves the domain or crosses a kink."""
        rng = random.Random(SEED)
        found = []
        for _ in range(SAMPLES):
            spread = SPREAD
            for _ in range(TRIES):
                sample = self._sample(rng, spread)
                if sample is not None:
                    found.append(sample)
                    break
                spread /= 16
        return tuple(found)

    def _sample(self, rng: random.Random, spread: Fraction) -> Sample | None:
        graph = self.graph
        point = {}
        for i in graph.inputs:
            step = spread * Fraction(rng.randint(1, 999), 1000) * rng.choice((-1, 1))
            point[graph.nodes[i].name] = _moved(self.values[i], step)
        try:
            values = forward(graph, point)
            back = backward_or_partial(graph, values)[0]
        except BackpropError:
            return None
        if any(back.partials[i] != self.back.partials[i] for i in self._switches):
            return None
        try:
            grads = {
                of: backward_or_partial(rooted(graph, of), values)[0].grads for of in self.backs if of != graph.output
            }
        except BackpropError:
            return None
        return Sample(tuple(point.items()), tuple(values), {graph.output: back.grads, **grads})

    @cached_property
    def _switches(self) -> tuple[int, ...]:
        """Gates with a kink rule, away from their kink: a sample must keep their local partials
        (the same side of every relu, the same winner of every max), or the formula may change."""
        at_kink = {gate for gate, _ in self.back.kinks}
        nodes, partials = self.graph.nodes, self.back.partials
        return tuple(
            i
            for i, node in enumerate(nodes)
            if node.args and OPS[node.op].kink is not None and partials[i] is not None and i not in at_kink
        )

    @cached_property
    def _sympy(self) -> _Symbolic | None:
        if len(self.graph.nodes) > SYMBOLIC_SIZE_CAP or not _small(self.graph):
            return None
        import sympy

        try:
            return _Symbolic(self.graph, sympy)
        except (ArithmeticError, ValueError, TypeError):
            return None  # sympy cannot build this graph; the samples decide


def _witness(sample: Sample, mine: Number, truth: Number) -> str:
    shown = ", ".join(f"{name} = {_approx(v)}" for name, v in sample.point[:4])
    more = ", ..." if len(sample.point) > 4 else ""
    return f"near this point ({shown}{more}) it gives {_approx(mine)} where the true gradient is {_approx(truth)}"


def _approx(v: Number) -> str:
    return f"{float(v):.6g}"


def _small(graph: Graph) -> bool:
    """Every node's expression, shared nodes written out, within the caps: sympy flattens sums and products
    as trees, not as the shared graph."""
    size, depth = expanded(graph, SYMBOLIC_SIZE_CAP)
    return max(size) <= SYMBOLIC_SIZE_CAP and max(depth) <= SYMBOLIC_DEPTH_CAP


class _Symbolic:
    """sympy's view of one small graph: every node as an expression of the inputs, and d out/d node as
    sympy's derivative of each op chained over the graph's edges, all built once (linear in the graph)."""

    def __init__(self, graph: Graph, sp) -> None:
        self.graph, self.sp = graph, sp
        self.templates: dict[tuple[str, int, int], tuple] = {}
        self.exprs = self.build(graph.nodes, {})
        self.by_of: dict[int, list] = {}

    def build(self, nodes: Sequence[Node], fixed: Mapping[int, object]) -> list:
        sp, exprs = self.sp, []
        for i, node in enumerate(nodes):
            if i in fixed:
                exprs.append(fixed[i])
            elif node.op == INPUT:
                exprs.append(sp.Symbol(node.name, real=True))
            elif node.op == CONST:
                literal = node.value
                if literal is None:
                    raise ValueError(f"constant node {i} has no value")  # pragma: no mutate
                if type(literal) is float:
                    exprs.append(sp.Float(literal))
                else:
                    v = Fraction(literal)
                    exprs.append(sp.Rational(v.numerator, v.denominator))
            else:
                exprs.append(OPS[node.op].sympy(sp, *[exprs[a] for a in node.args]))
        return exprs

    def grads(self, out: int) -> list:
        """d out / d node for every node, built once per `out`."""
        if out not in self.by_of:
            self.by_of[out] = self.accumulate(out)
        return self.by_of[out]

    def accumulate(self, out: int) -> list:
        """The backward pass again, with sympy's symbolic local derivatives instead of the op table's rules."""
        nodes, exprs = self.graph.nodes, self.exprs
        grads = [self.sp.Integer(0)] * len(nodes)
        grads[out] = self.sp.Integer(1)
        for i in range(out, -1, -1):
            node = nodes[i]
            for pos, a in enumerate(node.args):
                if nodes[a].op != CONST and grads[i] != 0:
                    grads[a] = grads[a] + grads[i] * self.local(node, pos, [exprs[b] for b in node.args])
        return grads

    def local(self, node: Node, pos: int, args: list):
        """d node/d argument pos: the op's sympy form differentiated once per (op, arity, position)."""
        key = (node.op, len(args), pos)
        if key not in self.templates:
            syms = tuple(self.sp.Dummy(f"a{k}", real=True) for k in range(len(args)))
            self.templates[key] = (syms, self.sp.diff(OPS[node.op].sympy(self.sp, *syms), syms[pos]))
        syms, d = self.templates[key]
        return d.xreplace(dict(zip(syms, args, strict=True)))

    def same(self, claim: Claim, claims: Mapping[str, Claim]) -> bool:
        if not _small(claim.graph):
            return False
        ids = self.graph.ids
        try:
            fixed = {}
            for i, node in enumerate(claim.graph.nodes):
                if node.op == INPUT:
                    other = claims.get(node.name)
                    fixed[i] = self.grads(other.of)[other.wrt] if other is not None else self.exprs[ids[node.name]]
            claimed = self.build(claim.graph.nodes, fixed)[claim.graph.output]
            return claimed - self.grads(claim.of)[claim.wrt] == 0
        except (ArithmeticError, ValueError, TypeError):
            return False  # sympy could not build or compare it; the samples decide
