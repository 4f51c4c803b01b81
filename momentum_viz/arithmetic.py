"""Update rules written out with a step's numbers: small expression trees whose leaves are the
step's quantities (θ, g, β, a state vector, …), shown once in symbols and once with the numbers.

An optimizer's registry entry builds its rule from these (``Optimizer.worked``); this module
knows no optimizer. Every number is shown rounded to significant digits, and the written-out
arithmetic is made true:

* a result (the right-hand side) is the run's own value rounded to ``DIGITS`` significant
  digits (or one or two more, see below; round half to even, on the float's exact binary
  value);
* the numbers substituted into a line are rounded to q significant digits, where q is the
  smallest from ``DIGITS`` up for which evaluating the line on the numbers *as shown*
  (exactly, in 50-digit decimal arithmetic), and rounding that to the result's digits, gives
  the shown result in every coordinate; if 4 more digits do not do it, the result gets one or
  two more digits (``_precisions``). A number that needs fewer digits is shown in full
  (β = 0.6 stays "0.6", never 0.59999999999999998), trailing zeros are dropped;
* if even 17 digits do not make it true (a result within a rounding error of a rounding
  boundary), the line says ≈ instead of its last =.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

DIGITS = 4
"""Significant digits of every result and of the quantities a step starts from."""
MAX_DIGITS = 17
"""Enough for any float64 to be shown exactly as the float it is."""
ROUNDING_NOTE = ("Results are rounded to 4 significant digits; the numbers put into a line "
                 "carry as many more as it takes for the line to be true as shown.")
"""The rounding, in a sentence for the reader."""
_CONTEXT = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_EVEN, Emax=10**6, Emin=-10**6)

Value = float | tuple[float, float]
"""A scalar (β, lr, a bias correction) or a 2-vector (θ, g, a state)."""


# -- numbers -------------------------------------------------------------------------------------
def rounded(x: float | Decimal, digits: int) -> Decimal:
    """``x`` (a finite number) rounded to ``digits`` significant digits, half to even; a
    float whose shortest round-trip form (``repr``: 0.038, not 0.037999999999999999) has
    at most ``digits`` digits is that form."""
    if isinstance(x, float):
        short = Decimal(repr(x))
        if len(short.as_tuple().digits) <= digits:
            return short
        return Decimal(f"{x:.{digits - 1}e}")  # rounds the exact binary value
    if x == 0:
        return Decimal(0)
    return x.quantize(Decimal(1).scaleb(x.adjusted() - digits + 1), context=_CONTEXT)


def text(x: float | Decimal, digits: int) -> str:
    """``x`` rounded to ``digits`` significant digits, as shown: no trailing zeros, a true
    minus sign, and 1.5e−5 for numbers below 10⁻³ or from 10⁵ up."""
    d = rounded(x, digits).normalize(_CONTEXT)
    if d == 0:
        return "0"
    sign, body = ("−" if d < 0 else ""), abs(d)
    exponent = body.adjusted()
    if -3 <= exponent < 5:
        shown = format(body, "f")
    else:
        mantissa = format(body.scaleb(-exponent), "f")
        shown = f"{mantissa}e{'−' if exponent < 0 else ''}{abs(exponent)}"
    return sign + shown


def _scalar(x: float, digits: int) -> str:
    """``text``, or ∞, −∞ or "not a number" for a value that is not finite."""
    if x - x == 0:
        return text(x, digits)
    return "not a number" if x != x else ("∞" if x > 0 else "−∞")


def value_of(shown: str) -> Decimal:
    """The number a ``text`` string shows."""
    return Decimal(shown.replace("−", "-"))


def finite(value: Value) -> bool:
    parts = value if isinstance(value, tuple) else (value,)
    return all(isinstance(p, float | int) and p - p == 0 for p in parts)


# -- expressions ----------------------------------------------------------------------------------
class Expr:
    """A node of a rule's right-hand side. ``+ − · /`` build new nodes (Python numbers become
    constants); ``sqrt()`` and ``squared()`` too."""

    level = 9  # binding strength: 1 for + −, 2 for · /, 3 for √ and ², 9 for a leaf

    def __add__(self, other: Expr | float) -> Expr:
        return Op("+", self, _expr(other))

    def __sub__(self, other: Expr | float) -> Expr:
        return Op("−", self, _expr(other))

    def __mul__(self, other: Expr | float) -> Expr:
        return Op("·", self, _expr(other))

    def __truediv__(self, other: Expr | float) -> Expr:
        return Op("/", self, _expr(other))

    def sqrt(self) -> Expr:
        return Fn("√", self)

    def squared(self) -> Expr:
        return Fn("²", self)


@dataclass(frozen=True, eq=False)
class Q(Expr):
    """A quantity: its symbol (text shown in the rule; a compound symbol brings its own
    brackets, e.g. "(1−β)") and its value. ``state`` names the state array it is the value of
    before the step, if it is one (the panel lists those among the step's starting values)."""

    symbol: str
    value: Value
    state: str | None = None


@dataclass(frozen=True, eq=False)
class Op(Expr):
    op: str
    a: Expr
    b: Expr
    level: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", 1 if self.op in "+−" else 2)


@dataclass(frozen=True, eq=False)
class Fn(Expr):
    name: str  # "√" or "²"
    a: Expr
    level = 3


def _expr(x: Expr | float) -> Expr:
    return x if isinstance(x, Expr) else Q(text(float(x), MAX_DIGITS), float(x))


def symbols(e: Expr) -> str:
    """The rule in symbols, e.g. "β·v + g"."""
    return _render(e, lambda q: q.symbol)


def numbers(e: Expr, digits: int) -> str:
    """The rule with every quantity's value substituted, rounded to ``digits``."""
    return _render(e, lambda q: _shown(q.value, digits))


def _shown(value: Value, digits: int) -> str:
    parts = value if isinstance(value, tuple) else (value,)
    return _bracketed(tuple(_scalar(v, digits) for v in parts), isinstance(value, tuple))


def _bracketed(parts: tuple[str, ...], vector: bool) -> str:
    """A vector as "(a, b)"; a scalar as is, or "(−a)" when negative."""
    if vector:
        return "(" + ", ".join(parts) + ")"
    return f"({parts[0]})" if parts[0].startswith("−") else parts[0]


def _render(e: Expr, leaf: Callable[[Q], str]) -> str:
    if isinstance(e, Q):
        return leaf(e)
    if isinstance(e, Fn):
        inner = _render(e.a, leaf)
        bare = isinstance(e.a, Q)
        if e.name == "√":
            return "√" + (inner if bare else f"({inner})")
        return (inner if bare else f"({inner})") + "²"
    left, right = _render(e.a, leaf), _render(e.b, leaf)
    if e.a.level < e.level:
        left = f"({left})"
    if e.b.level < e.level or (e.b.level == e.level and e.op in "−/"):
        right = f"({right})"
    spaced = e.op in "+−"
    return f"{left} {e.op} {right}" if spaced else f"{left}{e.op}{right}"


def evaluate(e: Expr, coordinate: int, digits: int | None) -> Decimal:
    """Coordinate ``coordinate`` of ``e`` on its quantities rounded to ``digits`` (as
    ``numbers`` shows them; None: their exact values), in 50-digit decimal arithmetic."""
    def value(q: Q) -> Decimal:
        v = q.value[coordinate] if isinstance(q.value, tuple) else q.value
        return Decimal(v) if digits is None else value_of(text(v, digits))
    return _evaluate(e, value)


_OPERATIONS = {"+": _CONTEXT.add, "−": _CONTEXT.subtract, "·": _CONTEXT.multiply,
               "/": _CONTEXT.divide}


def _evaluate(e: Expr, value: Callable[[Q], Decimal]) -> Decimal:
    if isinstance(e, Q):
        return value(e)
    a = _evaluate(e.a, value)
    if isinstance(e, Fn):
        return a.sqrt(_CONTEXT) if e.name == "√" else _CONTEXT.multiply(a, a)
    return _OPERATIONS[e.op](a, _evaluate(e.b, value))


def leaves(e: Expr) -> list[Q]:
    """The quantities of ``e``, left to right."""
    if isinstance(e, Q):
        return [e]
    if isinstance(e, Fn):
        return leaves(e.a)
    return leaves(e.a) + leaves(e.b)


def is_vector(e: Expr) -> bool:
    return any(isinstance(q.value, tuple) for q in leaves(e))


# -- equations ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Equation:
    """``target ← expr``, whose value is ``result`` (the run's own recorded value); a result
    of None is an intermediate, worked out here from the exact values of ``expr``."""

    target: str
    expr: Expr
    result: Value | None = None

    def value(self) -> Value:
        """The result: the recorded one, or the exact value of ``expr`` as a float."""
        if self.result is not None:
            return self.result
        with decimal.localcontext(_CONTEXT):
            if not is_vector(self.expr):
                return _as_float(evaluate(self.expr, 0, None))
            return tuple(_as_float(evaluate(self.expr, i, None)) for i in (0, 1))

    def quantity(self, symbol: str | None = None) -> Q:
        """The result as a quantity for later lines (its symbol the target by default)."""
        return Q(symbol or self.target, self.value())

    @property
    def rule(self) -> str:
        """The equation in symbols: "v ← β·v + g"."""
        return f"{self.target} ← {symbols(self.expr)}"


def _as_float(d: Decimal) -> float:
    try:
        return float(d)
    except (OverflowError, decimal.InvalidOperation):
        return float("nan")


@dataclass(frozen=True)
class Written:
    """One equation written out: ``numbers`` (the substituted right-hand side), ``result``
    (shown), ``exact``: True when the numbers as shown give the result to its digits (=),
    False when only approximately (≈); ``rule``, the equation in symbols ("v ← β·v + g")."""

    equation: Equation
    numbers: str
    result: str
    exact: bool

    rule = property(lambda self: self.equation.rule)

    @property
    def line(self) -> str:
        return f"{self.rule} = {self.numbers} {'=' if self.exact else '≈'} {self.result}"


def write(equation: Equation, digits: int = DIGITS) -> Written | None:
    """``equation`` written out with the least rounding that keeps it true (see the module
    docstring); None if any number in it, or its result, is not finite."""
    result = equation.value()
    quantities = leaves(equation.expr)
    if not finite(result) or not all(finite(q.value) for q in quantities):
        return None
    parts = result if isinstance(result, tuple) else (result,)
    shown: dict[tuple[int, int], tuple[tuple[str, ...], tuple[Decimal, ...]]] = {}

    def at(q: Q, places: int) -> tuple[tuple[str, ...], tuple[Decimal, ...]]:
        """q's value as shown with ``places`` digits: its texts and the numbers they show."""
        key = (id(q), places)
        if key not in shown:
            texts = tuple(text(v, places) for v in (q.value if isinstance(q.value, tuple)
                                                    else (q.value,)))
            shown[key] = (texts, tuple(value_of(t) for t in texts))
        return shown[key]

    def number(leaf: Q, coordinate: int, places: int) -> Decimal:
        values = at(leaf, places)[1]
        return values[min(coordinate, len(values) - 1)]  # a scalar serves both coordinates

    def substituted(leaf: Q, places: int) -> str:
        return _bracketed(at(leaf, places)[0], isinstance(leaf.value, tuple))

    for p, q in _precisions(digits):
        try:
            got = [rounded(_evaluate(equation.expr, partial(number, coordinate=i, places=q)), p)
                   for i in range(len(parts))]
        except (decimal.InvalidOperation, decimal.DivisionByZero):
            continue
        if got == [rounded(r, p) for r in parts]:
            return Written(equation, _render(equation.expr, partial(substituted, places=q)),
                           _shown(result, p), True)
    return Written(equation, numbers(equation.expr, MAX_DIGITS), _shown(result, digits), False)


def _precisions(digits: int) -> list[tuple[int, int]]:
    """(result digits, substituted digits) in the order tried: up to 4 more digits in the
    substituted numbers, then one or two more in the result (a result that is a tie, such as
    −2.5 + 0.7365 = −1.7635, reads better as −1.7635 than with 17-digit inputs), then up to 17."""
    tried = [(p, q) for p in range(digits, digits + 3) for q in range(p, p + 5)]
    return tried + [(digits, q) for q in range(digits + 5, MAX_DIGITS + 1)]


def write_all(equations: Sequence[Equation], digits: int = DIGITS) -> list[Written] | None:
    """Every equation written out, or None if any of them has a number that is not finite."""
    out = []
    for equation in equations:
        written = write(equation, digits)
        if written is None:
            return None
        out.append(written)
    return out


def shown(value: Value, digits: int = DIGITS) -> str:
    """A quantity's value as the panel lists it: "(−2.431, 1.5)" or "0.038"."""
    return _shown(value, digits)


# -- one step's numbers, for an optimizer's rule ------------------------------------------------
@dataclass(frozen=True)
class StepNumbers:
    """What an optimizer's ``worked`` function writes its rule with, at step k of a run:
    ``theta`` θ_k, ``g`` the gradient the optimizer used there, ``lr`` the lr of step k, ``t``
    = k + 1 (torch's step count), the hyper-parameters by name (``beta``, ``beta2``, ``eps``),
    each state array's value before the step (``before``) and after it (``after``), and
    ``theta_next`` θ_{k+1}."""

    theta: Q
    g: Q
    lr: Q
    t: int
    hyper: dict[str, float]
    before: dict[str, Value]
    after: dict[str, Value]
    theta_next: Value

    def state(self, name: str, symbol: str) -> Q:
        """State array ``name`` before the step, shown as ``symbol``."""
        return Q(symbol, self.before[name], state=name)

    def constant(self, symbol: str, value: float) -> Q:
        """A scalar of the rule (β, 1−β, a bias correction), shown as ``symbol``."""
        return Q(symbol, float(value))

    def step(self, expr: Expr) -> Equation:
        """θ ← θ − ``expr``: the step's last line, whose result is θ_{k+1}."""
        return Equation("θ", self.theta - expr, self.theta_next)
