"""Compile f and ∇f into an allocation-free sequence of NumPy ufunc calls for the simulation loop.

``lambdify`` makes general functions that allocate a fresh array for every intermediate result;
inside a loop of thousands of steps over a 40 000-trajectory batch that allocation, not the
arithmetic, dominates. Here the same expressions (with common subexpressions shared by
``sympy.cse``) become a list of ``ufunc(a, b, out=register)`` calls on buffers allocated once,
reading x and y straight from the loop's position array. Nothing is evaluated from text: the
program is built from the sympy tree, whose leaves are x, y and numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from momentum_viz.formula import X, Y

UFUNCS: dict[type, np.ufunc] = {
    sp.sin: np.sin, sp.cos: np.cos, sp.tan: np.tan, sp.asin: np.arcsin, sp.acos: np.arccos,
    sp.atan: np.arctan, sp.sinh: np.sinh, sp.cosh: np.cosh, sp.tanh: np.tanh, sp.exp: np.exp,
    sp.log: np.log, sp.Abs: np.absolute, sp.sign: np.sign,
}


class Unsupported(Exception):
    """The expression uses something this compiler does not translate (callers fall back)."""


class Program:
    """Instructions computing a list of expressions in x and y; ``bind`` gives a callable."""

    def __init__(self, exprs: list[sp.Expr]) -> None:
        self.code: list[tuple] = []  # (ufunc, operand, operand | None, register)
        self.registers = 0
        self._free: list[int] = []
        replacements, reduced = sp.cse(exprs)
        uses = _count_uses(replacements, reduced)
        self._remaining: dict[tuple, int] = {}
        self._pinned: set[tuple] = set()
        self._names: dict[sp.Symbol, tuple] = {X: ("in", 0), Y: ("in", 1)}
        for symbol, expr in replacements:
            if symbol not in uses:  # cse can leave a temporary that nothing reads: skip it
                continue
            if expr in self._names:
                # cse can name a temporary again (x6 = x4): x6 shares x4's register, and the one
                # use of x4 counted in x6's definition becomes all the uses of x6.
                operand = self._names[symbol] = self._names[expr]
                if operand in self._pinned:
                    self._remaining[operand] += uses[symbol] - 1
                continue
            self._names[symbol] = self._emit(expr)
            self._pin(self._names[symbol], uses[symbol])
        self.outputs = []
        self.direct: dict[int, int] = {}  # instruction index → output row it writes straight to
        for row, expr in enumerate(reduced):
            operand = self._emit(expr)
            last = len(self.code) - 1
            if operand[0] == "reg" and last >= 0 and self.code[last][3] == operand[1] \
                    and operand not in self._pinned and last not in self.direct:
                self.direct[last] = row
                operand = ("out", row)
            self.outputs.append(operand)

    def bind(self, theta: np.ndarray) -> Callable[[], np.ndarray]:
        """A function of no arguments that evaluates the expressions at the current ``theta``
        (2, n), which the caller may update in place between calls. It returns a (k, n) array
        (one row per expression) that it overwrites on the next call. The caller owns
        ``np.errstate``."""
        n = theta.shape[1]
        regs = [np.empty(n) for _ in range(self.registers)]
        out = np.empty((len(self.outputs), n))

        def resolve(operand):
            kind, value = operand
            if kind == "in":
                return theta[value]
            return regs[value] if kind == "reg" else np.array(value)

        code = [(fn, resolve(a), None if b is None else resolve(b),
                 out[self.direct[i]] if i in self.direct else regs[r])
                for i, (fn, a, b, r) in enumerate(self.code)]
        copies = [(resolve(src), row) for src, row in zip(self.outputs, out, strict=True)
                  if src[0] != "out"]

        def evaluate() -> np.ndarray:
            for fn, a, b, target in code:
                if b is None:
                    fn(a, out=target)
                else:
                    fn(a, b, out=target)
            for src, row in copies:
                np.copyto(row, src)
            return out

        return evaluate

    # -- emission -----------------------------------------------------------------------------
    def _emit(self, expr: sp.Expr) -> tuple:
        if expr in self._names:
            return self._names[expr]
        if expr.is_Number or isinstance(expr, sp.NumberSymbol):
            value = float(expr)
            if not np.isfinite(value):
                raise Unsupported("non-finite constant")
            return ("const", value)
        if isinstance(expr, sp.Add):
            return self._emit_sum(expr)
        if isinstance(expr, sp.Mul):
            return self._emit_product(expr)
        if isinstance(expr, sp.Pow):
            return self._emit_power(expr.base, expr.exp)
        if type(expr) in UFUNCS and len(expr.args) == 1:
            return self._op(UFUNCS[type(expr)], self._emit(expr.args[0]))
        if isinstance(expr, sp.DiracDelta):
            return ("const", 0.0)
        raise Unsupported(type(expr).__name__)

    def _emit_sum(self, expr: sp.Add) -> tuple:
        constant, terms = expr.as_coeff_add()
        signed = [(-1, -t) if t.as_coeff_Mul()[0].is_negative else (1, t) for t in terms]
        signed.sort(key=lambda st: -st[0])  # positive terms first: no negation needed
        if signed[0][0] < 0 and constant != 0:  # 1 − x: subtract from the constant
            acc, constant = ("const", float(constant)), 0
        else:
            sign, first = signed.pop(0)
            acc = self._emit(first)
            if sign < 0:
                acc = self._op(np.negative, acc)
        for sign, term in signed:
            acc = self._op(np.add if sign > 0 else np.subtract, acc, self._emit(term))
        if constant != 0:
            acc = self._op(np.add, acc, ("const", float(constant)))
        return acc

    def _emit_product(self, expr: sp.Mul) -> tuple:
        coeff, factors = expr.as_coeff_mul()
        numerator = [f for f in factors if not _is_reciprocal(f)]
        denominator = [1 / f for f in factors if _is_reciprocal(f)]
        acc = self._emit(numerator[0]) if numerator else ("const", 1.0)
        for factor in numerator[1:]:
            acc = self._op(np.multiply, acc, self._emit(factor))
        for factor in denominator:
            acc = self._op(np.divide, acc, self._emit(factor))
        if coeff == -1:
            return self._op(np.negative, acc)
        return acc if coeff == 1 else self._op(np.multiply, acc, ("const", float(coeff)))

    def _emit_power(self, base: sp.Expr, exponent: sp.Expr) -> tuple:
        if base == sp.E:
            return self._op(np.exp, self._emit(exponent))
        if exponent == 2:
            b = self._emit(base)
            return self._op(np.multiply, b, b)
        if exponent == -1:
            return self._op(np.divide, ("const", 1.0), self._emit(base))
        if exponent == sp.Rational(1, 2):
            return self._op(np.sqrt, self._emit(base))
        if exponent == -sp.Rational(1, 2):
            return self._op(np.divide, ("const", 1.0), self._op(np.sqrt, self._emit(base)))
        return self._op(np.power, self._emit(base), self._emit(exponent))

    def _op(self, fn: np.ufunc, a: tuple, b: tuple | None = None) -> tuple:
        """Append fn(a[, b]) writing to a register, recycling registers whose last use passed."""
        for operand in {a, b}:  # x·x reads its operand once
            self._release(operand)
        reg = self._free.pop() if self._free else self._new_register()
        self._remaining[("reg", reg)] = 1  # an intermediate result is read once
        self.code.append((fn, a, b, reg))
        return ("reg", reg)

    def _new_register(self) -> int:
        self.registers += 1
        return self.registers - 1

    def _pin(self, operand: tuple, uses: int) -> None:
        """A cse temporary stays alive for all its uses."""
        if operand[0] == "reg":
            self._remaining[operand] = uses
            self._pinned.add(operand)

    def _release(self, operand: tuple | None) -> None:
        if operand is None or operand[0] != "reg":
            return
        self._remaining[operand] -= 1
        if self._remaining[operand] == 0:
            self._free.append(operand[1])


def _is_reciprocal(factor: sp.Expr) -> bool:
    return isinstance(factor, sp.Pow) and factor.exp.is_Number and factor.exp < 0


def _count_uses(replacements, reduced) -> dict:
    """How often each cse symbol is referenced (it must survive until its last use)."""
    uses: dict = {}
    for expr in [e for _, e in replacements] + list(reduced):
        for node in sp.preorder_traversal(expr):
            if isinstance(node, sp.Symbol) and node not in (X, Y):
                uses[node] = uses.get(node, 0) + 1
    return uses
