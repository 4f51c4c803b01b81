"""Loss surfaces f(x, y): exact gradients and Hessians derived by sympy, compiled with lambdify.

Every surface, preset or typed, goes through the same path: a sympy expression, its symbolic
derivatives, and NumPy functions made by ``sympy.lambdify`` (with common subexpressions shared
between f and ∇f, so a combined evaluation costs little more than the gradient alone).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from momentum_viz.formula import UNDEFINED, FormulaError, X, Y, numbers_in_range, parse_formula
from momentum_viz.kernel import Program, Unsupported
from momentum_viz.time_limit import OutOfTime, within

if TYPE_CHECKING:
    from momentum_viz.data import Data

Domain = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]
Kernel = Callable[[np.ndarray, np.ndarray], list]

DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))
ESCAPE_WIDTHS = 100.0
"""A run has diverged once it is this many domain widths away from the domain's centre."""
FORMULA_SECONDS = 0.5
"""CPU time a typed formula gets to be differentiated and compiled. Short formulas can make
sympy work for minutes (``cosh(x^((x+y+1)^100))`` expands a 5000-term multinomial while it
decides whether the argument is real), and no cap on the text predicts which. CPU time, not
wall time: on a busy server every session shares one interpreter lock, and a simple formula
must not be refused for waiting its turn (``FORMULA_WAIT`` bounds the wait)."""
FORMULA_WAIT = 10 * FORMULA_SECONDS


class Compiled:
    """One expression's f, exact ∇f and Hessian as NumPy functions, each compiled on first use
    and kept: a cache, mutable by design. A Surface holds one; ``dataclasses.replace`` on a
    surface keeps it, so nothing is compiled twice."""

    def __init__(self, expr: sp.Expr):
        self.expr = expr
        self.gradient_exprs: tuple[sp.Expr, sp.Expr] = (derivative(expr, X), derivative(expr, Y))

    @cached_property
    def f(self) -> Kernel:
        return _compile([self.expr], single=True)

    @cached_property
    def value_and_grad(self) -> Kernel:
        """[f, ∂f/∂x, ∂f/∂y] with common subexpressions shared."""
        return _compile([self.expr, *self.gradient_exprs])

    @cached_property
    def grad(self) -> Kernel:
        return _compile(list(self.gradient_exprs))

    @cached_property
    def hessian(self) -> Kernel:
        gx, gy = self.gradient_exprs
        return _compile([derivative(gx, X), derivative(gx, Y), derivative(gy, Y)])

    @cached_property
    def programs(self) -> tuple[Program | None, Program | None]:
        """Allocation-free f and ∇f for the simulation loop (None where the expression has
        something Program cannot translate; ``Surface`` then falls back to ``value_and_grad``)."""
        out = []
        for exprs in ([self.expr], list(self.gradient_exprs)):
            try:
                out.append(Program(exprs))
            except Unsupported:
                out.append(None)
        return tuple(out)


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D loss surface with exact derivatives and what a demonstration needs.

    ``f``, ``grad``, ``value_and_grad`` and ``hessian`` work element-wise on arrays of any
    broadcastable shapes and always return float64 arrays of the broadcast shape. A surface
    from data (``momentum_viz.data.regression_surface``) is a mean over its ``data``.
    """

    id: str
    name: str
    formula: str
    domain: Domain
    start: Point
    minima: tuple[Point, ...]
    lr: float
    beta: float
    description: str = ""
    minima_source: str = "known"
    compiled: Compiled = field(repr=False, kw_only=True)
    data: Data | None = field(default=None, repr=False, kw_only=True)
    """The data points of a regression surface (``momentum_viz.data``), whose minibatches
    ``simulate(..., batch_size=B)`` draws; None for a formula."""

    # -- evaluation ---------------------------------------------------------------------------
    def f(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """f(x, y), element-wise."""
        x, y, shape = _inputs(x, y)
        with np.errstate(all="ignore"):
            return _shaped(self.compiled.f(x, y), shape)

    def grad(self, x: np.ndarray | float, y: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """(∂f/∂x, ∂f/∂y), element-wise."""
        return _evaluate(self.compiled.grad, x, y)

    def value_and_grad(
        self, x: np.ndarray | float, y: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(f, ∂f/∂x, ∂f/∂y) in one pass sharing subexpressions."""
        return _evaluate(self.compiled.value_and_grad, x, y)

    def hessian(
        self, x: np.ndarray | float, y: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(f_xx, f_xy, f_yy), exact, element-wise."""
        return _evaluate(self.compiled.hessian, x, y)

    def bind_gradient(self, theta: np.ndarray) -> Callable[[], np.ndarray]:
        """An evaluator of ∇f at ``theta`` (2, n) for the simulation loop, which updates
        ``theta`` in place: each call returns ∇f as a (2, n) array it reuses. Allocation-free
        (``kernel.Program``); the caller owns ``np.errstate``."""
        return self._bind(1, theta)

    def bind_value(self, theta: np.ndarray) -> Callable[[], np.ndarray]:
        """Like ``bind_gradient`` for f: each call returns f as an (n,) array it reuses."""
        evaluate = self._bind(0, theta)
        return lambda: evaluate()[0]

    def _bind(self, which: int, theta: np.ndarray) -> Callable[[], np.ndarray]:
        program = self.compiled.programs[which]
        if program is not None:
            return program.bind(theta)
        rows = slice(0, 1) if which == 0 else slice(1, 3)
        kernel = self.compiled.value_and_grad
        return lambda: np.array(kernel(theta[0], theta[1])[rows])

    # -- description --------------------------------------------------------------------------
    @property
    def expr(self) -> sp.Expr:
        """f as a sympy expression in the real symbols x and y."""
        return self.compiled.expr

    @property
    def gradient_exprs(self) -> tuple[sp.Expr, sp.Expr]:
        """(∂f/∂x, ∂f/∂y) as sympy expressions."""
        return self.compiled.gradient_exprs

    @property
    def latex(self) -> str:
        """LaTeX of f(x, y)."""
        return "f(x, y) = " + sp.latex(self.expr)

    @property
    def grad_latex(self) -> tuple[str, str]:
        """LaTeX of ∂f/∂x and of ∂f/∂y, one equation each: shown as inline math, each breaks
        onto a new line at its outermost + and − where the page is narrower than it."""
        gx, gy = self.gradient_exprs
        return (r"\partial f/\partial x = " + sp.latex(gx),
                r"\partial f/\partial y = " + sp.latex(gy))

    @cached_property
    def f_min(self) -> float | None:
        """The lowest value over ``minima`` (the global minimum where minima are known); worked
        out once per surface (``minima`` never changes)."""
        if not self.minima:
            return None
        xs, ys = np.array(self.minima).T
        return float(np.min(self.f(xs, ys)))

    @property
    def center(self) -> Point:
        (x0, x1), (y0, y1) = self.domain
        return (x0 + x1) / 2, (y0 + y1) / 2

    @property
    def escape_radius(self) -> float:
        """Half-width of the square around ``center`` outside which a run counts as diverged."""
        (x0, x1), (y0, y1) = self.domain
        return ESCAPE_WIDTHS * max(x1 - x0, y1 - y0)

    def nearest_minimum(self, point: Point) -> Point | None:
        """The known minimum closest to ``point`` (None if there are none)."""
        if not self.minima:
            return None
        m = np.array(self.minima)
        return tuple(m[np.argmin(np.hypot(*(m - np.asarray(point, float)).T))])


def make_surface(
    formula: str,
    *,
    id: str,
    name: str,
    domain: Domain,
    start: Point | None = None,
    minima: Sequence[Point] | None = None,
    lr: float = 0.01,
    beta: float = 0.9,
    description: str = "",
) -> Surface:
    """Build a Surface from formula text. ``minima`` are polished by Newton's method; when None
    they are searched for numerically over the domain."""
    expr = parse_formula(formula)
    domain = _check_domain(domain)
    draft = Surface(
        id=id, name=name, formula=formula, domain=domain,
        start=start if start is not None else _default_start(domain),
        minima=(), minima_source="none", lr=lr, beta=beta, description=description,
        compiled=Compiled(expr),
    )
    _require_finite_somewhere(draft)
    if minima is not None:
        found, source = refine_minima(draft, minima), "known"
    else:
        found, source = find_minima(draft), "numeric"
    return replace(draft, minima=found, minima_source=source if found else "none")


def surface_from_formula(text: str, domain: Domain | None = None) -> Surface:
    """A Surface for a formula typed by a user, e.g. ``x^2 + 10y^2``; raises FormulaError,
    also when it takes more than ``FORMULA_SECONDS`` of CPU time to prepare."""
    def build() -> Surface:
        with numbers_in_range():
            surface = make_surface(
                text, id="custom", name="Custom formula", domain=domain or DEFAULT_DOMAIN,
                description="A formula you typed; its minima were searched for numerically.",
            )
            _ = surface.compiled.hessian, surface.compiled.programs  # compiled within the limit
        return surface

    try:
        return within(FORMULA_SECONDS, FORMULA_WAIT, build)
    except OutOfTime:
        raise FormulaError("the formula is too complex: differentiating it took too long; "
                           "simplify it") from None


# -- minima ---------------------------------------------------------------------------------------
def refine_minima(surface: Surface, guesses: Sequence[Point], iterations: int = 40) -> tuple:
    """Polish guesses with Newton's method on the exact gradient and Hessian; keep those that end
    at a point with zero gradient and a positive semi-definite Hessian inside the domain."""
    if len(guesses) == 0:
        return ()
    x, y = (np.array(c, float) for c in zip(*guesses, strict=True))
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            _, gx, gy = surface.value_and_grad(x, y)
            hxx, hxy, hyy = surface.hessian(x, y)
            det = hxx * hyy - hxy * hxy
            ok = np.isfinite(det) & (np.abs(det) > 1e-300)
            dx = np.where(ok, (hyy * gx - hxy * gy) / np.where(ok, det, 1), 0.0)
            dy = np.where(ok, (hxx * gy - hxy * gx) / np.where(ok, det, 1), 0.0)
            x, y = x - dx, y - dy
        _, gx, gy = surface.value_and_grad(x, y)
        hxx, hxy, hyy = surface.hessian(x, y)
        psd = (hxx >= -1e-9) & (hyy >= -1e-9) & (hxx * hyy - hxy * hxy >= -1e-9)
    (x0, x1), (y0, y1) = surface.domain
    keep = (np.hypot(gx, gy) <= 1e-6) & psd & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    points: list[Point] = []
    for px, py in zip(x[keep], y[keep], strict=True):
        if all(np.hypot(px - qx, py - qy) > 1e-6 for qx, qy in points):
            points.append((float(px), float(py)))
    f = surface.f(*np.array(points).T) if points else []
    return tuple(p for _, p in sorted(zip(f, points, strict=True)))


def find_minima(surface: Surface, resolution: int = 121, most: int = 8) -> tuple[Point, ...]:
    """Search the domain for isolated local minima: grid points strictly below their eight
    neighbours, then Newton-polished. Numerical, so a surface may have minima this misses."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys)
    f = surface.f(gx, gy)
    f = np.where(np.isfinite(f), f, np.inf)
    inner = f[1:-1, 1:-1]
    is_min = np.isfinite(inner)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:  # strictly below every neighbour: flat floors and valleys of minima
                is_min &= inner < f[1 + di:resolution - 1 + di, 1 + dj:resolution - 1 + dj]
    rows, cols = np.nonzero(is_min)
    order = np.argsort(inner[rows, cols])[: 4 * most]
    guesses = list(zip(xs[cols[order] + 1], ys[rows[order] + 1], strict=True))
    return refine_minima(surface, guesses)[:most]


# -- derivatives ----------------------------------------------------------------------------------
class _RealAbs(sp.Function):
    """|g| while differentiating: for real g, d|g| = sign(g)·dg. sympy's own rule, for a g it
    cannot prove real (log(x), x^y), is written in re, im and unevaluated derivatives, which
    NumPy cannot compute; the surface is only used where its values are real anyway."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.sign(self.args[0])


class _RealSign(sp.Function):
    """sign(g) while differentiating: its derivative 2·δ(g)·dg is zero wherever a float lands
    (and sympy leaves it unevaluated for a g it cannot prove real)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero


def derivative(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """∂expr/∂var for real x and y, in functions NumPy can evaluate; FormulaError where it is
    undefined (0^x is fine, its slope 0^x·log(0) is not)."""
    real = expr.replace(sp.Abs, _RealAbs).replace(sp.sign, _RealSign)
    result = sp.diff(real, var).replace(_RealAbs, sp.Abs).replace(_RealSign, sp.sign)
    if result.has(*UNDEFINED):
        raise FormulaError("the formula's slope is undefined (a power of 0, or log(0)?)")
    return result


# -- helpers --------------------------------------------------------------------------------------
def _compile(exprs: list[sp.Expr], single: bool = False) -> Kernel:
    fn = sp.lambdify((X, Y), exprs[0] if single else exprs, modules="numpy", cse=not single)
    if any(not e.free_symbols for e in exprs):
        def shaped(x, y, _fn=fn):
            shape = np.shape(x)
            out = _fn(x, y)
            return _shaped(out, shape) if single else [_shaped(v, shape) for v in out]
        return shaped
    return fn


def _evaluate(kernel: Kernel, x, y) -> tuple[np.ndarray, ...]:
    """Every output of ``kernel`` at (x, y) broadcast together, as float64 of that shape."""
    x, y, shape = _inputs(x, y)
    with np.errstate(all="ignore"):
        return tuple(_shaped(value, shape) for value in kernel(x, y))


def _inputs(x, y) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    return x, y, x.shape


def _shaped(value, shape: tuple[int, ...]) -> np.ndarray:
    value = np.asarray(value)
    if value.shape != shape or value.dtype != np.float64:
        value = np.broadcast_to(value, shape).astype(np.float64)
    return value


def _check_domain(domain: Domain) -> Domain:
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in domain)
    except (TypeError, ValueError) as exc:
        raise FormulaError("the domain must be ((xmin, xmax), (ymin, ymax))") from exc
    values = np.array([x0, x1, y0, y1])
    if not np.all(np.isfinite(values)) or np.any(np.abs(values) > 1e6):
        raise FormulaError("the domain must be finite numbers within ±1e6")
    if not (x0 < x1 and y0 < y1):
        raise FormulaError("the domain needs min < max on both axes")
    return (x0, x1), (y0, y1)


def _default_start(domain: Domain) -> Point:
    (x0, x1), (y0, y1) = domain
    return x0 + 0.8 * (x1 - x0), y0 + 0.8 * (y1 - y0)


def _require_finite_somewhere(surface: Surface) -> None:
    """Refuse formulas whose value or gradient is nowhere finite on the domain, which
    cannot be evaluated numerically at all (e.g. integers too large for a float), or which
    evaluate to complex numbers (``(-8)^(1/3)``, or ``(-2)^x`` whose gradient has log(−2))."""
    (x0, x1), (y0, y1) = surface.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            f, dx, dy = surface.value_and_grad(gx, gy)
    except np.exceptions.ComplexWarning as exc:
        raise FormulaError("the formula has complex values (e.g. the root of a negative "
                           "number)") from exc
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise FormulaError("the formula cannot be evaluated with floating-point numbers") \
            from exc
    if not np.any(np.isfinite(f) & np.isfinite(dx) & np.isfinite(dy)):
        raise FormulaError("the formula is not finite anywhere in the domain")
