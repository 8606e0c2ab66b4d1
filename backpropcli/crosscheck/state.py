"""The cross-check's shared ground: its verdict records, one run's state, and sympy calls within the
time budget (interrupted by SIGALRM where it exists), plus how sympy's numbers compare with ours."""

from __future__ import annotations

import math
import operator
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from itertools import compress
from types import ModuleType
from typing import Any, Generic, NamedTuple, TypeVar

from ..autodiff import Backward, magnitudes
from ..graph import Graph
from ..ops import Number, is_exact, show

# Below this, floats lose relative precision (subnormals): the one absolute floor, far below any
# gradient a program means; a fixed floor of 1e-12 passed wrong gradients of 1e-14.
SUBNORMAL_SCALE = sys.float_info.min / sys.float_info.epsilon
ROUNDING = 2.0**-40  # what float arithmetic may leave of a sum that cancels: 4096 ulps of its terms
KINK_STEP = Fraction(1, 10**12)
DIGITS = 30  # sympy's working precision for floats: 1 - tanh(19.0)**2 needs more than a float's 16
# ... and where a float check fails at DIGITS, it is taken again at this many: 1 - tanh(300.0)**2
# cancels 260 digits, and nothing a float can hold cancels more than about 620
HIGH_DIGITS = 700
_IMAGINARY = 1e-12  # what evalf may leave of an imaginary part on a real result, relative to it

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Check:
    status: str  # pass | fail | kink (within the one-sided derivatives) | skip
    expected: str = ""  # sympy's number (or interval), as text
    how: str = "sympy"  # sympy | chain | dual
    note: str = ""


K = TypeVar("K")  # a Verdicts' key: (gate, argument position) for edges, a node id for totals


class Verdicts(Mapping[K, Check], Generic[K]):
    """Checks by key, in order. The exceptions (failures, kinks, skips, a method other than `how`) are
    records; every other key passed against sympy's number and becomes a Check only when asked for:
    a table that shows 60 rows, or a JSON document written column by column, never needs 10^5 of them."""

    __slots__ = ("_keys", "_listed", "_number", "_size", "how", "records")

    def __init__(
        self,
        keys: Sequence[K] | Callable[[], Sequence[K]],
        records: dict[K, Check],
        number: Callable[[K], Number | None],
        how: str,
        size: int | None = None,
    ) -> None:
        # every checked key, in order: or a function that lists them, called only when the keys are
        # iterated (the ledger's order costs a pass over the graph that a table never needs)
        self._keys: Sequence[K] | None
        self._listed: Callable[[], Sequence[K]] | None
        self._keys, self._listed = (None, keys) if callable(keys) else (keys, None)
        self._size = size  # how many keys there are, known without listing them
        self.records = records  # key -> Check, for the keys that are not plain passes
        self._number = number  # key -> sympy's number for a pass (None: the key was not checked)
        self.how = how

    @property
    def keys_in_order(self) -> Sequence[K]:
        if self._keys is None:
            if self._listed is None:  # __init__ sets one of the two
                raise ValueError("checks without keys")
            self._keys = self._listed()
        return self._keys

    def __getitem__(self, key) -> Check:
        check = self.records.get(key)
        if check is not None:
            return check
        try:
            theirs = self._number(key)
        except (IndexError, TypeError):  # a gate without partials, or a position it lacks
            theirs = None
        if theirs is None:
            raise KeyError(key)
        return Check("pass", show(theirs), self.how)

    def __iter__(self) -> Iterator[K]:
        return iter(self.keys_in_order)

    def __len__(self) -> int:
        return len(self.keys_in_order) if self._size is None else self._size

    def status(self, key) -> str | None:
        """The verdict alone (None where the key was not checked): what ranking rows needs, without a Check."""
        check = self.records.get(key)
        if check is not None:
            return check.status
        try:
            return None if self._number(key) is None else "pass"
        except (IndexError, TypeError):
            return None

    def number(self, key) -> Number | None:
        """sympy's number for a key that passed plainly (None for the records)."""
        return None if key in self.records else self._number(key)

    def counts(self) -> tuple[int, int, int]:
        """(passed, failed, skipped): a kink within the one-sided derivatives is a pass."""
        statuses = [c.status for c in self.records.values()]
        failed, skipped = statuses.count("fail"), statuses.count("skip")
        return len(self) - failed - skipped, failed, skipped


@dataclass(frozen=True)
class Checks:
    edges: Verdicts[tuple[int, int]]  # (gate, argument position) -> local partial check, in ledger order
    nodes: Verdicts[int]  # node -> total gradient check, by id
    formulas: dict[int, str]  # input -> sympy's d out/d input, as text
    notes: tuple[str, ...] = ()

    def counts(self) -> tuple[int, int, int]:
        passed, failed, skipped = 0, 0, 0
        for part in (self.edges, self.nodes):
            p, f, s = part.counts() if isinstance(part, Verdicts) else _counted(part.values())
            passed, failed, skipped = passed + p, failed + f, skipped + s
        return passed, failed, skipped


def _counted(checks) -> tuple[int, int, int]:
    statuses = [c.status for c in checks]
    failed, skipped = statuses.count("fail"), statuses.count("skip")
    return len(statuses) - failed - skipped, failed, skipped


class OutOfTime(Exception):
    """The budget ran out: raised before a sympy call, or inside one by the alarm."""


class Found:
    """sympy's local partials as the local checks find them: one column per argument position (the
    third and later of a variadic gate's by (gate, position)), None where none was found. Where
    sympy's number is ours bit for bit, the column holds our own object, not a copy; sealed, a gate
    whose partials are all ours keeps our own tuple. A checked run so holds a slot per gate for
    sympy's partials, not a list and a float per edge."""

    def __init__(self, size: int) -> None:
        self.first: list = [None] * size
        self.second: list = [None] * size
        self.more: dict[tuple[int, int], Number] = {}

    def put(self, gate: int, pos: int, theirs: Number, ours: Number) -> None:
        value = kept(ours, theirs)
        if pos == 0:
            self.first[gate] = value
        elif pos == 1:
            self.second[gate] = value
        else:
            self.more[(gate, pos)] = value

    def put_one(self, pos: int, gates: Iterable[int], value: Number) -> None:
        """put() of one value, ours, at every gate of the first or second argument (a constant slope)."""
        column = self.first if pos == 0 else self.second
        for gate in gates:
            column[gate] = value

    def put_all(self, pos: int, gates: list[int], theirs: list, ours: list, keep: Iterable[bool]) -> None:
        """put() for the gates of one argument position that `keep` says."""
        found = compress(zip(gates, theirs, ours, strict=True), keep)
        if pos > 1:
            for gate, their, our in found:
                self.put(gate, pos, their, our)
            return
        column = self.first if pos == 0 else self.second
        # kept()'s test written out, as this loop runs per edge: the same object (a constant slope's 1,
        # mul's other argument) is ours; another type or another number (nan too) is theirs; an equal
        # nonzero number is ours; only an equal zero asks for its sign
        for gate, their, our in found:
            if their is our:
                column[gate] = our
            elif type(their) is not type(our) or their != our:
                column[gate] = their
            else:
                column[gate] = our if our else kept(our, their)

    def sealed(self, ours: Sequence[Sequence[Number] | None]) -> list:
        """Per gate, sympy's partials as a tuple (ours where each is ours), None for a gate the output
        does not reach. The first column becomes that list: nothing per node is built beside it."""
        gates, second, more = self.first, self.second, self.more
        shared: dict[tuple, tuple] = {}  # pairs of ints and Nones, one tuple each: (1, None) for x + 0.05
        for gate, mine, one, two in zip(range(len(gates)), ours, gates, second, strict=True):
            if mine is None:
                continue
            k = len(mine)
            if k == 2:
                if one is mine[0] and two is mine[1]:
                    gates[gate] = mine
                elif type(one) in _PLAIN and type(two) in _PLAIN:  # equal means identical for these
                    gates[gate] = shared.setdefault((one, two), (one, two))
                else:
                    gates[gate] = (one, two)
            elif k == 1:
                gates[gate] = mine if one is mine[0] else (one,)
            else:
                theirs = (one, two, *[more.get((gate, pos)) for pos in range(2, k)])[:k]
                gates[gate] = mine if all(map(operator.is_, theirs, mine)) else theirs
        self.first, self.second, self.more = [], [], {}
        return gates


_PLAIN = (int, type(None))


def kept(ours: Number, theirs: Number) -> Number:
    """What is held of sympy's number: our own object where it is ours bit for bit (no copy kept)."""
    return ours if _bitwise(ours, theirs) else theirs


def _bitwise(ours: Number, theirs: Number) -> bool:
    """The same number of the same type, to the sign of a zero: ours may stand for theirs."""
    if type(ours) is not type(theirs) or ours != theirs:
        return False
    return ours != 0 or math.copysign(1, ours) == math.copysign(1, theirs)


class Template(NamedTuple):
    key: tuple  # (op, arity, argument position)
    syms: tuple
    expr: Any  # the op's sympy expression in syms (sympy is untyped)
    d: Any  # its derivative along one argument


@dataclass
class State:
    """Scratch for one cross-check run; nothing of it outlives the call."""

    graph: Graph
    values: list
    back: Backward
    tol: float
    deadline: float
    seconds: float
    sp: ModuleType  # sympy, imported when a check runs
    progress: Progress
    alarm: bool = False  # whether SIGALRM may interrupt a sympy call
    templates: dict = field(default_factory=dict)
    compiled: dict = field(default_factory=dict)  # template key -> its derivative compiled for floats
    kinks: frozenset = frozenset()  # the backward pass's (gate, position) edges at a kink
    found: Found = field(default_factory=lambda: Found(0))  # sympy's local partials, as found
    sympy_partials: list = field(default_factory=list)  # then per gate (None: unchecked), sealed
    digits: int = DIGITS  # the precision floats are handed to sympy with
    notes: list = field(default_factory=list)

    @cached_property
    def sizes(self) -> list[float]:
        """Per node, the scale of the terms its gradient adds up (magnitudes): it only widens a float
        comparison, so it is computed once, the first time a comparison without it fails."""
        return magnitudes(self.graph, self.back)

    def sympy_call(self, fn: Callable, *args):
        """One call into sympy, within the budget: OutOfTime if it has run out or runs out meanwhile."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise OutOfTime
        if not self.alarm:
            return fn(*args)
        signal.setitimer(signal.ITIMER_REAL, min(remaining, 1e6))  # setitimer overflows on huge budgets
        try:
            return fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def sharper(self, fn: Callable, *args):
        """fn again, within the budget, with floats handed to sympy at HIGH_DIGITS."""
        self.digits = HIGH_DIGITS
        try:
            return self.sympy_call(fn, *args)
        finally:
            self.digits = DIGITS

    def out_of_time(self) -> Check:
        note = f"the cross-check's time budget of {self.seconds:g}s ran out"
        if note not in self.notes:
            self.notes.append(note)
        return Check("skip", note=note)

    def total_number(self, v: Number):
        """A value inside a whole-expression check. Where the output is a float, floats throughout:
        an exact value that the engine let go to float (2**10**10) must not be rebuilt exactly."""
        if is_exact(self.values[self.graph.output]):
            return self.number(v)
        try:
            return self.sp.Float(float(v), self.digits)
        except OverflowError:  # an exact value past the float range (min(x, 2**1100) * 1.0): at these digits
            return self.sp.Float(self.number(v), self.digits)

    def number(self, v: Number):
        sp = self.sp
        if type(v) is int:
            return sp.Integer(v)
        if type(v) is Fraction:
            return sp.Rational(v.numerator, v.denominator)
        return sp.Float(v, self.digits)  # the float exactly, and sympy working past its 16 digits


@contextmanager
def alarm(st: State) -> Iterator[None]:
    """Let SIGALRM interrupt a long sympy call: only in the main thread, and only if nobody else uses it."""
    with ringing() as usable:
        st.alarm = usable
        yield


@contextmanager
def ringing(seconds: float = 0.0) -> Iterator[bool]:
    """SIGALRM raising OutOfTime, set to ring after `seconds` (0: not yet; setitimer arms it later);
    yields whether it could be installed: only in the main thread, and only if nobody else uses it."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, signal.SIG_IGN):
        yield False
        return

    def ring(signum, frame):
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, ring)
    try:
        if seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, min(seconds, 1e6))  # setitimer overflows on huge budgets
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def one_sided(st: State, d, syms, args: list[Number], pos: int) -> tuple[Number, Number]:
    """sympy's derivative from the left and from the right of the point along one argument: its
    limits where the point is exact, else its values just beside the point (a float point is only
    known to its last digit anyway, and a limit there is slow)."""
    base = {s: st.number(a) for s, a in zip(syms, args, strict=True)}
    sym = syms[pos]
    sides = []
    if all(is_exact(a) for a in args):
        along = d.xreplace({s: v for s, v in base.items() if s is not sym})
        try:
            sides = [engine_number(st.sp.limit(along, sym, base[sym], side)) for side in "-+"]
        except (ArithmeticError, ValueError, TypeError, NotImplementedError, st.sp.PoleError):
            sides = []  # a limit sympy cannot take: the values beside the point instead
    if not sides or None in sides:
        size = abs(Fraction(args[pos]))
        step = st.number(KINK_STEP * (size if size > 1 else 1))
        sides = [engine_number(d.xreplace({**base, sym: base[sym] + sign * step})) for sign in (-1, 1)]
    found = [side for side in sides if side is not None]
    if len(found) < len(sides):
        return math.nan, math.nan
    lo, hi = sorted(found)
    return lo, hi


def within(value: Number, lo: Number, hi: Number, tol: float) -> bool:
    """A value between two one-sided derivatives: exactly where all three are exact, else with a
    relative slack; never where a bound is nan."""
    if lo != lo or hi != hi:
        return False
    if is_exact(value) and is_exact(lo) and is_exact(hi):
        return lo <= value <= hi
    try:
        slack = tol * max(1.0, abs(float(lo)), abs(float(hi)))
        return float(lo) - slack <= float(value) <= float(hi) + slack
    except OverflowError:  # an exact number past the float range: the same comparison in exact arithmetic
        room = exact_slack(tol, lo, hi)
        return Fraction(lo) - room <= Fraction(value) <= Fraction(hi) + room


def exact_slack(tol: float, *values: Number) -> Fraction:
    """tol times the larger of 1 and the values' sizes, reckoned exactly (a value may pass the largest
    float): the slack `within` gives an interval, and the grader's joint check a claim."""
    return Fraction(tol) * max(Fraction(1), *(abs(Fraction(v)) for v in values))


def engine_number(expr) -> Number | None:
    """A sympy result as an engine number: exact if rational, float if real and finite, else None."""
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q)) if expr.q != 1 else int(expr.p)
    try:
        value = complex(expr.evalf(DIGITS, maxn=HIGH_DIGITS))
    except (TypeError, ValueError):
        return None
    if abs(value.imag) > _IMAGINARY * max(1.0, abs(value.real)) or not math.isfinite(value.real):
        return None
    return value.real


def agree(ours: Number, theirs: Number, tol: float, scale: float = 0.0) -> bool:
    """Exact numbers must be equal; floats equal within tol relative to the larger of the two, or
    within the rounding of the terms a result was made from (`scale` is their size: 0.1 + 0.2 - 0.3
    is 5.6e-17 in one order of summing and 2.8e-17 in another, both from terms of about 0.6)."""
    if is_exact(ours) and is_exact(theirs):
        return ours == theirs
    floor = max(ROUNDING * scale, tol * SUBNORMAL_SCALE) if math.isfinite(scale) else tol * SUBNORMAL_SCALE
    try:
        return math.isclose(float(ours), float(theirs), rel_tol=tol, abs_tol=floor)
    except OverflowError:  # an exact value beyond the float range is not near a float
        return False
